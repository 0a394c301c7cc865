using System.Globalization;

namespace Vaani.Bench.Common;

/// <summary>Number formatting for tables (invariant culture, fixed precision).</summary>
internal static class Format
{
    public static string Ms(double milliseconds) => milliseconds.ToString("0.0", CultureInfo.InvariantCulture) + " ms";

    public static string Seconds(double seconds) => seconds.ToString("0.000", CultureInfo.InvariantCulture) + " s";

    public static string Times(double factor) => factor.ToString("0.0", CultureInfo.InvariantCulture) + "×";

    public static string Ratio(double ratio) => ratio.ToString("0.00", CultureInfo.InvariantCulture);

    public static string Number(double value, string format = "0.000") => value.ToString(format, CultureInfo.InvariantCulture);
}
