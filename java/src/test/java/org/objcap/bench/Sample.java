package org.objcap.bench;

import java.util.Arrays;

/**
 * Order statistics of one measurement, in whatever unit it was taken.
 *
 * @param median the middle value (the mean of the middle two for an even count)
 * @param p90 the 90th percentile, nearest rank
 * @param min the smallest value
 * @param max the largest value
 * @param count how many values
 */
public record Sample(double median, double p90, double min, double max, int count) {
    /**
     * Summarizes values.
     *
     * @param values at least one
     * @return their statistics
     * @throws IllegalArgumentException if there are none
     */
    public static Sample of(double... values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("no values");
        }
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        double median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
        int rank = (int) Math.ceil(0.9 * n);
        return new Sample(median, v[Math.max(0, rank - 1)], v[0], v[n - 1], n);
    }

    /**
     * The same statistics in another unit.
     *
     * @param factor what to multiply every value by
     * @return the scaled statistics
     */
    public Sample times(double factor) {
        return new Sample(median * factor, p90 * factor, min * factor, max * factor, count);
    }
}
