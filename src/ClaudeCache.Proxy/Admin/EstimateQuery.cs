using System.Globalization;

namespace ClaudeCache.Proxy.Admin;

/// <summary>
/// The query of <c>/admin/estimate</c>: <c>days</c> (how far back from <c>to</c>; default 7, at most 400, fractions
/// allowed) and <c>to</c> (ISO 8601; default now). A bad value is a 400 naming the parameter.
/// </summary>
internal readonly record struct EstimateQuery(DateTimeOffset From, DateTimeOffset To)
{
    /// <summary>The longest range: beyond any request-log retention.</summary>
    public const double MaxDays = 400;

    public static bool TryParse(IQueryCollection query, DateTimeOffset now, out EstimateQuery parsed, out string? error)
    {
        parsed = default;
        var days = 7.0;
        if (query["days"].ToString() is { Length: > 0 } d && !TryParseDays(d, out days))
        {
            error = $"days: '{Shorten(d)}' is not a number of days above 0 and at most {MaxDays:0}.";
            return false;
        }

        var to = now;
        if (query["to"].ToString() is { Length: > 0 } t && !TryParseTo(t, out to))
        {
            error = $"to: '{Shorten(t)}' is not an ISO 8601 time between 1970 and 9999.";
            return false;
        }

        error = null;
        var from = to - TimeSpan.FromDays(days);
        parsed = new EstimateQuery(from < DateTimeOffset.UnixEpoch ? DateTimeOffset.UnixEpoch : from, to);
        return true;
    }

    /// <summary>A positive number of days, at most <see cref="MaxDays"/>.</summary>
    public static bool TryParseDays(string text, out double days) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out days) && days > 0 && days <= MaxDays;

    private static bool TryParseTo(string text, out DateTimeOffset to) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out to)
        && to >= DateTimeOffset.UnixEpoch && to.Year < 9999;

    private static string Shorten(string value) => value.Length > 40 ? value[..40] + "…" : value;
}
