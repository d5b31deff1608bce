/**
 * Implementation details: the JNA binding of the native engine and the value
 * codec. Not an API; it may change in any release.
 */
package org.objcap.internal;
