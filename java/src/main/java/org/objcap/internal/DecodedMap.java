package org.objcap.internal;

import java.io.Serializable;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The map a Python {@code dict} (and, through
 * {@link java.util.Collections#newSetFromMap}, a {@code set}) decodes to: a
 * mutable {@link Map} in insertion order, like {@link LinkedHashMap}, whose
 * buckets are chosen by {@link KeyedHash} instead of the keys' public
 * {@code hashCode}, so decoding and lookups take linear expected time
 * whatever keys a sandbox chose. Keys compare by {@code equals}, as in any
 * Java map.
 */
final class DecodedMap extends AbstractMap<Object, Object> implements Serializable {
    private static final long serialVersionUID = 1L;

    /** A key with its keyed hash. */
    private static final class Key {
        final Object value;
        final int hash;

        Key(Object value) {
            this.value = value;
            long h = KeyedHash.of(value);
            this.hash = (int) (h ^ (h >>> 32));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && hash == k.hash && Objects.equals(value, k.value);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    private final transient LinkedHashMap<Key, Object> entries;

    DecodedMap(int expectedSize) {
        // Sized for what arrived, but never from a claimed count alone.
        entries = new LinkedHashMap<>(Math.min(expectedSize, 1 << 16) * 4 / 3 + 1);
    }

    /** Serialized as the LinkedHashMap it stands for (the hash key stays here). */
    private Object writeReplace() {
        return new LinkedHashMap<>(this);
    }

    @Override
    public int size() {
        return entries.size();
    }

    @Override
    public boolean containsKey(Object key) {
        return entries.containsKey(new Key(key));
    }

    @Override
    public Object get(Object key) {
        return entries.get(new Key(key));
    }

    @Override
    public Object put(Object key, Object value) {
        return entries.put(new Key(key), value);
    }

    @Override
    public Object remove(Object key) {
        return entries.remove(new Key(key));
    }

    @Override
    public void clear() {
        entries.clear();
    }

    @Override
    public Set<Entry<Object, Object>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public int size() {
                return entries.size();
            }

            @Override
            public Iterator<Entry<Object, Object>> iterator() {
                Iterator<Entry<Key, Object>> it = entries.entrySet().iterator();
                return new Iterator<>() {
                    @Override
                    public boolean hasNext() {
                        return it.hasNext();
                    }

                    @Override
                    public Entry<Object, Object> next() {
                        Entry<Key, Object> e = it.next();
                        return new Entry<>() {
                            @Override
                            public Object getKey() {
                                return e.getKey().value;
                            }

                            @Override
                            public Object getValue() {
                                return e.getValue();
                            }

                            @Override
                            public Object setValue(Object value) {
                                return e.setValue(value);
                            }

                            @Override
                            public boolean equals(Object o) {
                                return o instanceof Entry<?, ?> other
                                        && Objects.equals(getKey(), other.getKey())
                                        && Objects.equals(getValue(), other.getValue());
                            }

                            @Override
                            public int hashCode() {
                                return Objects.hashCode(getKey()) ^ Objects.hashCode(getValue());
                            }

                            @Override
                            public String toString() {
                                return getKey() + "=" + getValue();
                            }
                        };
                    }

                    @Override
                    public void remove() {
                        it.remove();
                    }
                };
            }
        };
    }
}
