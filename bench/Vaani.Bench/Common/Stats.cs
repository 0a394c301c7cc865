namespace Vaani.Bench.Common;

/// <summary>Order statistics over small samples.</summary>
internal static class Stats
{
    public static double Median(IReadOnlyCollection<double> values) => Percentile(values, 50);

    /// <summary>
    /// Percentile by linear interpolation between closest ranks (p in 0..100). With few samples
    /// a high percentile is close to the maximum, which is what a benchmark should show.
    /// </summary>
    public static double Percentile(IReadOnlyCollection<double> values, double p)
    {
        if (values.Count == 0)
            return double.NaN;
        var sorted = values.Order().ToArray();
        var rank = p / 100 * (sorted.Length - 1);
        var low = (int)Math.Floor(rank);
        var high = (int)Math.Ceiling(rank);
        return sorted[low] + ((sorted[high] - sorted[low]) * (rank - low));
    }
}
