package org.objcap;

/** What a granted directory lets sandboxed code do. */
public enum Access {
    /**
     * Open files for reading, list directories, test and stat paths. Nothing
     * can be written, truncated, created, removed or renamed.
     */
    READ_ONLY,
    /**
     * Everything {@link #READ_ONLY} allows, and also open files for writing
     * (creating and truncating them), make and remove directories, remove
     * files and rename within the directory.
     */
    READ_WRITE
}
