package org.objcap.script;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import javax.script.ScriptException;
import org.objcap.PythonException;
import org.objcap.PythonReference;
import org.objcap.SandboxException;

/** A Java interface whose methods call Python functions (or an object's methods). */
final class InterfaceProxy implements InvocationHandler {
    private static final Map<Class<?>, Class<?>> BOXES = Map.of(
            boolean.class,
            Boolean.class,
            byte.class,
            Byte.class,
            short.class,
            Short.class,
            char.class,
            Character.class,
            int.class,
            Integer.class,
            long.class,
            Long.class,
            float.class,
            Float.class,
            double.class,
            Double.class);

    private final ObjcapScriptEngine engine;
    private final SandboxBindings bindings;
    private final PythonReference target;
    private final Class<?> type;

    private InterfaceProxy(ObjcapScriptEngine engine, SandboxBindings bindings, PythonReference target, Class<?> type) {
        this.engine = engine;
        this.bindings = bindings;
        this.target = target;
        this.type = type;
    }

    static <T> T create(ObjcapScriptEngine engine, SandboxBindings bindings, PythonReference target, Class<T> type) {
        Object proxy = Proxy.newProxyInstance(
                type.getClassLoader(), new Class<?>[] {type}, new InterfaceProxy(engine, bindings, target, type));
        return type.cast(proxy);
    }

    /** The names that Python must define: those of the abstract methods. */
    static List<String> abstractMethodNames(Class<?> type) {
        return Arrays.stream(type.getMethods())
                .filter(m -> Modifier.isAbstract(m.getModifiers()))
                .map(Method::getName)
                .distinct()
                .sorted()
                .collect(Collectors.toList());
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        if (method.getDeclaringClass() == Object.class) {
            switch (method.getName()) {
                case "equals":
                    return proxy == args[0];
                case "hashCode":
                    return System.identityHashCode(proxy);
                default:
                    return "objcap implementation of " + type.getName();
            }
        }
        if (method.isDefault()) {
            return InvocationHandler.invokeDefault(proxy, method, args);
        }
        Object value;
        try {
            value = engine.call(bindings, target, method.getName(), args);
        } catch (SandboxException e) {
            if (e instanceof PythonException p && ScriptErrors.isNoSuchMethod(p)) {
                throw new IllegalStateException("the script no longer defines " + method.getName() + "()", e);
            }
            if (Arrays.asList(method.getExceptionTypes()).contains(ScriptException.class)) {
                throw ScriptErrors.toScriptException(e, null, null);
            }
            throw e;
        }
        return convert(value, method);
    }

    /** The Python value as the method's return type; numbers are converted where they fit. */
    static Object convert(Object value, Method method) {
        Class<?> returnType = method.getReturnType();
        if (returnType == void.class) {
            return null;
        }
        Class<?> wanted = BOXES.getOrDefault(returnType, returnType);
        if (value == null) {
            if (returnType.isPrimitive()) {
                throw mismatch(method, "None");
            }
            return null;
        }
        if (wanted.isInstance(value)) {
            return value;
        }
        if (value instanceof Long || value instanceof BigInteger) {
            Object number = fromInteger((Number) value, wanted, method);
            if (number != null) {
                return number;
            }
        }
        if (value instanceof Double d && wanted == Float.class) {
            return d.floatValue();
        }
        if (value instanceof String s && wanted == Character.class && s.length() == 1) {
            return s.charAt(0);
        }
        throw mismatch(method, "a " + value.getClass().getSimpleName());
    }

    private static Object fromInteger(Number value, Class<?> wanted, Method method) {
        BigInteger big = value instanceof BigInteger b ? b : BigInteger.valueOf(value.longValue());
        try {
            if (wanted == Long.class) {
                return big.longValueExact();
            }
            if (wanted == Integer.class) {
                return big.intValueExact();
            }
            if (wanted == Short.class) {
                return big.shortValueExact();
            }
            if (wanted == Byte.class) {
                return big.byteValueExact();
            }
        } catch (ArithmeticException e) {
            throw new ArithmeticException(method.getName() + "() returned " + big + ", which does not fit in "
                    + method.getReturnType().getSimpleName());
        }
        if (wanted == Double.class) {
            return big.doubleValue();
        }
        if (wanted == Float.class) {
            return big.floatValue();
        }
        return null;
    }

    private static ClassCastException mismatch(Method method, String got) {
        return new ClassCastException(method.getName() + "() returned " + got + " where "
                + method.getReturnType().getName() + " was expected");
    }
}
