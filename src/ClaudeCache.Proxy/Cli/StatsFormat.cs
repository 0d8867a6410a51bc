using System.Globalization;

namespace ClaudeCache.Proxy.Cli;

/// <summary>How <c>claudecache stats</c> shows numbers: invariant culture, so the output reads the same everywhere.</summary>
internal static class StatsFormat
{
    /// <summary>US dollars: 2 decimals, or 4 below a dollar, where cents would round most figures to nothing.</summary>
    public static string Money(decimal usd)
    {
        var sign = usd < 0 ? "-" : "";
        var magnitude = Math.Abs(usd);
        var digits = magnitude is > 0 and < 1 ? "N4" : "N2";
        return sign + "$" + magnitude.ToString(digits, CultureInfo.InvariantCulture);
    }

    /// <summary>A 0..1 ratio as a percentage with one decimal (<c>66.7%</c>).</summary>
    public static string Percent(double ratio) => (ratio * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    /// <summary>A count with thousands separators.</summary>
    public static string Count(long count) => count.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A latency in milliseconds, or a dash when nothing was measured.</summary>
    public static string Milliseconds(double? ms) => ms is { } value ? value.ToString("0.##", CultureInfo.InvariantCulture) + " ms" : "–";

    /// <summary>A time in UTC to the minute.</summary>
    public static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC";

    /// <summary>A size in bytes, KiB, MiB or GiB.</summary>
    public static string Bytes(long bytes) => bytes switch
    {
        < 1024 => bytes.ToString(CultureInfo.InvariantCulture) + " B",
        < 1024 * 1024 => (bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        < 1024L * 1024 * 1024 => (bytes / (1024.0 * 1024)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
        _ => (bytes / (1024.0 * 1024 * 1024)).ToString("0.00", CultureInfo.InvariantCulture) + " GiB",
    };
}
