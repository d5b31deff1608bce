package org.objcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Sandboxes side by side share neither globals nor modules. */
class IsolationTest {
    private final List<Sandbox> sandboxes = new ArrayList<>();

    @AfterEach
    void closeAll() {
        sandboxes.forEach(Sandbox::close);
    }

    private Sandbox open() {
        Sandbox s = Sandbox.builder().build();
        sandboxes.add(s);
        return s;
    }

    @Test
    void tenSandboxesKeepTheirOwnGlobalsAndModules() {
        for (int i = 0; i < 10; i++) {
            open().exec("import json\njson.x = " + i + "\nmine = " + i + "\n");
        }
        for (int i = 0; i < 10; i++) {
            Sandbox s = sandboxes.get(i);
            assertEquals((long) i, s.get("mine"));
            assertEquals((long) i, s.eval("json.x"));
            // The module object itself is the sandbox's own, and still works.
            assertEquals("[" + i + "]", s.eval("json.dumps([json.x])"));
        }
    }

    @Test
    void aNewSandboxSeesNothingOfTheOthers() {
        open().exec("import json\njson.x = 'leak'\nsecret = 1\n");
        Sandbox fresh = open();
        assertEquals(false, fresh.eval("'secret' in globals()"));
        fresh.exec("import json");
        assertEquals(false, fresh.eval("hasattr(json, 'x')"));
        PythonException e = assertThrows(PythonException.class, () -> fresh.get("secret"));
        assertEquals("NameError", e.getPythonType());
    }

    @Test
    void closingOneDoesNotDisturbTheOthers() {
        for (int i = 0; i < 10; i++) {
            open().exec("import json\njson.x = " + i + "\n");
        }
        Sandbox closed = sandboxes.get(3);
        closed.close();
        assertTrue(closed.isClosed());
        assertThrows(IllegalStateException.class, () -> closed.eval("1"));
        for (int i = 0; i < 10; i++) {
            if (i == 3) {
                continue;
            }
            Sandbox s = sandboxes.get(i);
            assertFalse(s.isClosed());
            assertEquals((long) i, s.eval("json.x"));
            s.exec("json.x += 100");
            assertEquals(i + 100L, s.eval("json.x"));
        }
    }
}
