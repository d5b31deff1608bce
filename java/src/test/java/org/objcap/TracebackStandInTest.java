package org.objcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The traceback module a script gets formats tracebacks without frames:
 * ordinary error handling works, frames stay out of reach.
 */
class TracebackStandInTest {

    @Test
    void formatExcShowsTheScriptsOwnLinesAndTheChain() {
        try (Sandbox sandbox = Sandbox.builder().build()) {
            sandbox.exec(
                    "import traceback\n"
                            + "def inner():\n    {}['k']\n"
                            + "try:\n    try:\n        inner()\n"
                            + "    except KeyError as e:\n        raise ValueError('v') from e\n"
                            + "except ValueError:\n    text = traceback.format_exc()\n",
                    "job.py");
            String text = (String) sandbox.get("text");
            assertTrue(text.contains("File \"job.py\", line 6, in <module>\n    inner()\n"), text);
            assertTrue(text.contains("File \"job.py\", line 3, in inner\n    {}['k']\n"), text);
            assertTrue(text.contains("KeyError: 'k'\n"), text);
            assertTrue(text.contains("The above exception was the direct cause"), text);
            assertTrue(text.endsWith("ValueError: v\n"), text);
        }
    }

    @Test
    void extractTbGivesPlainEntriesNotFrames() {
        try (Sandbox sandbox = Sandbox.builder().build()) {
            sandbox.exec(
                    "import traceback\n"
                            + "try:\n    1 / 0\nexcept ZeroDivisionError as e:\n"
                            + "    entries = [list(x) for x in traceback.extract_tb(e.__traceback__)]\n"
                            + "    kinds = sorted({type(p).__name__ for x in entries for p in x})\n",
                    "job.py");
            assertEquals(List.of(List.of("job.py", 3L, "<module>", "1 / 0")), sandbox.get("entries"));
            assertEquals(List.of("int", "str"), sandbox.get("kinds"));
            assertFalse((Boolean) sandbox.eval("hasattr(__import__('traceback'), 'walk_stack')"));
        }
    }
}
