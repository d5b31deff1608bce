/**
 * objcap: runs untrusted Python code in CPython sandboxes that hold only the
 * authority the Java host hands them.
 *
 * <p>Start with {@link org.objcap.Sandbox#builder()}.
 */
package org.objcap;
