/**
 * The {@code objcap} command-line tool.
 */
package org.objcap.cli;
