/**
 * The {@code objcap} command-line tool: {@code objcap run} runs a script in
 * a sandbox, {@code objcap repl} is an interactive console in one; see
 * {@link org.objcap.cli.ObjcapCommand}.
 */
package org.objcap.cli;
