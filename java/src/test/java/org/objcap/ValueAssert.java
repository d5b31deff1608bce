package org.objcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Deep equality for decoded values, comparing byte[] by content. */
final class ValueAssert {
    private ValueAssert() {}

    static void assertValueEquals(Object expected, Object actual) {
        assertValueEquals(expected, actual, "value");
    }

    private static void assertValueEquals(Object expected, Object actual, String path) {
        if (expected instanceof byte[] e) {
            if (!(actual instanceof byte[] a) || !Arrays.equals(e, a)) {
                fail(path + ": expected bytes of length " + e.length + " but got " + describe(actual));
            }
        } else if (expected instanceof List<?> e) {
            if (!(actual instanceof List<?> a) || a.size() != e.size()) {
                fail(path + ": expected a list of " + e.size() + " but got " + describe(actual));
                return;
            }
            for (int i = 0; i < e.size(); i++) {
                assertValueEquals(e.get(i), a.get(i), path + "[" + i + "]");
            }
        } else if (expected instanceof Map<?, ?> e) {
            if (!(actual instanceof Map<?, ?> a)) {
                fail(path + ": expected a map but got " + describe(actual));
                return;
            }
            // Same keys in the same order (maps keep insertion order both ways).
            assertEquals(new ArrayList<>(e.keySet()), new ArrayList<>(a.keySet()), path + " keys");
            for (Map.Entry<?, ?> entry : e.entrySet()) {
                assertValueEquals(entry.getValue(), a.get(entry.getKey()), path + "[" + entry.getKey() + "]");
            }
        } else if (expected instanceof Set<?> e) {
            if (!(actual instanceof Set<?> a)) {
                fail(path + ": expected a set but got " + describe(actual));
                return;
            }
            assertEquals(e, a, path);
        } else {
            assertEquals(expected, actual, path);
            if (expected != null) {
                assertEquals(expected.getClass(), actual.getClass(), path + " class");
            }
        }
    }

    private static String describe(Object o) {
        if (o == null) {
            return "null";
        }
        String s = String.valueOf(o instanceof byte[] b ? "byte[" + b.length + "]" : o);
        return o.getClass().getName() + " " + (s.length() > 80 ? s.substring(0, 80) + "..." : s);
    }
}
