package org.example.rules;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.objcap.LimitExceededException;
import org.objcap.PythonException;
import org.objcap.Sandbox;

/**
 * A shop whose users write their own shipping rule in Python
 * (rules/shipping.py). The rule runs in an objcap sandbox: it gets each
 * order as a copy and can do nothing but compute a fee.
 *
 * <p>Run: {@code mvn -q compile exec:java}, or with another rule:
 * {@code mvn -q compile exec:java -Dexec.args=my-rule.py}.
 */
public final class RuleApp {
    private RuleApp() {}

    public static void main(String[] args) throws IOException {
        Path ruleFile = Path.of(args.length > 0 ? args[0] : "rules/shipping.py");
        String rule = Files.readString(ruleFile);
        List<Map<String, Object>> orders = List.of(
                Map.of("id", 1, "country", "DE", "total", 30.0, "items", 2),
                Map.of("id", 2, "country", "FR", "total", 120.0, "items", 7),
                Map.of("id", 3, "country", "US", "total", 45.5, "items", 1));

        try (Sandbox sandbox = Sandbox.builder()
                .timeout(Duration.ofSeconds(2)) // a rule that loops is stopped
                .memoryLimit(64L << 20) // and so is one that hoards memory
                .build()) {
            sandbox.exec(rule, ruleFile.toString()); // defines shipping_fee(order)
            for (Map<String, Object> order : orders) {
                try {
                    Number fee = (Number) sandbox.call("shipping_fee", order);
                    System.out.printf(
                            Locale.ROOT,
                            "order %s to %s, %.2f EUR: shipping %.2f EUR%n",
                            order.get("id"),
                            order.get("country"),
                            order.get("total"),
                            fee.doubleValue());
                } catch (PythonException e) { // the rule raised for this order
                    System.out.println("order " + order.get("id") + ": the rule failed: " + e.getMessage());
                }
            }
        } catch (PythonException e) { // the rule does not compile, or fails as it loads
            System.out.print("the rule cannot be used:\n" + e.formatTraceback());
        } catch (LimitExceededException e) { // it looped, hoarded memory or printed too much
            System.out.println("the rule was stopped: " + e.getMessage());
        }
    }
}
