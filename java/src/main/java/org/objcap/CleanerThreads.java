package org.objcap;

import java.lang.ref.Cleaner;

/**
 * Cleaners whose threads belong to no application: daemons in the root
 * thread group, with no context class loader. A thread made in the group of
 * whoever first used objcap (say, {@code mvn exec:java}'s, or a web
 * application's) would hold that group or class loader for the life of the
 * JVM, and tools that wait for an application's threads would wait for it.
 */
final class CleanerThreads {
    private CleanerThreads() {}

    static Cleaner create(String name) {
        ThreadGroup root = Thread.currentThread().getThreadGroup();
        while (root.getParent() != null) {
            root = root.getParent();
        }
        ThreadGroup group = root;
        return Cleaner.create(r -> {
            Thread t = new Thread(group, r, name);
            t.setDaemon(true);
            t.setContextClassLoader(null);
            return t;
        });
    }
}
