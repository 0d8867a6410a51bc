using System.Globalization;
using ClaudeCache.Costs;

namespace ClaudeCache.Proxy.Admin;

/// <summary>
/// The query of <c>/admin/stats</c>: <c>from</c>/<c>to</c> (ISO 8601; default the last <c>window</c>),
/// <c>window</c> (e.g. <c>24h</c>, <c>7d</c>, <c>30m</c>; default 24h), <c>dimension</c> and <c>value</c> to filter.
/// Every parameter is bounded: a range is at most <see cref="MaxRange"/> long and lies between 1970 and 9999, so no
/// value a client sends can overflow a date or a duration (a 400 names the parameter instead).
/// </summary>
internal readonly record struct StatsQuery(DateTimeOffset From, DateTimeOffset To, (string Dimension, string Value)? Filter)
{
    /// <summary>The longest range (and window) a report covers: ten years and change, beyond any retention.</summary>
    public static readonly TimeSpan MaxRange = TimeSpan.FromDays(3660);

    private static readonly DateTimeOffset Earliest = DateTimeOffset.UnixEpoch;
    private static readonly DateTimeOffset Latest = new(9999, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static bool TryParse(IQueryCollection query, DateTimeOffset now, out StatsQuery parsed, out string? error)
    {
        parsed = default;
        error = null;
        var window = TimeSpan.FromHours(24);
        if (query["window"].ToString() is { Length: > 0 } w && !TryParseWindow(w, out window))
        {
            error = $"window: '{Shorten(w)}' is not a duration like 30m, 24h or 7d of at most {MaxRange.TotalDays:0}d.";
            return false;
        }

        var to = now;
        if (query["to"].ToString() is { Length: > 0 } t && !TryParseTime(t, out to))
        {
            error = $"to: '{Shorten(t)}' is not an ISO 8601 time between 1970 and 9999.";
            return false;
        }

        var from = to - window < Earliest ? Earliest : to - window;
        if (query["from"].ToString() is { Length: > 0 } f && !TryParseTime(f, out from))
        {
            error = $"from: '{Shorten(f)}' is not an ISO 8601 time between 1970 and 9999.";
            return false;
        }

        if (from >= to)
        {
            error = "from must be before to.";
            return false;
        }

        if (to - from > MaxRange)
        {
            error = $"from..to must span at most {MaxRange.TotalDays:0} days.";
            return false;
        }

        (string, string)? filter = null;
        var dimension = query["dimension"].ToString();
        if (dimension.Length > 0)
        {
            if (!LedgerNames.Dimensions.Contains(dimension))
            {
                error = $"dimension: '{Shorten(dimension)}' is not one of {string.Join(", ", LedgerNames.Dimensions)}.";
                return false;
            }

            // Without a value the filter would match only empty values and report nothing: refused, not guessed.
            if (!query.ContainsKey("value"))
            {
                error = "dimension needs a value (value= with nothing after it matches rows whose value is empty).";
                return false;
            }

            filter = (dimension, query["value"].ToString());
        }
        else if (query.ContainsKey("value"))
        {
            error = "value needs a dimension.";
            return false;
        }

        parsed = new StatsQuery(from, to, filter);
        return true;
    }

    /// <summary>A positive, finite duration of at most <see cref="MaxRange"/>: a number and m, h or d.</summary>
    public static bool TryParseWindow(string text, out TimeSpan window)
    {
        window = default;
        if (text.Length < 2 || text.Length > 32
            || !double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount)
            || !double.IsFinite(amount) || amount <= 0)
        {
            return false;
        }

        var minutes = text[^1] switch
        {
            'm' => amount,
            'h' => amount * 60,
            'd' => amount * 1440,
            _ => double.NaN,
        };

        // Compared as a double before any TimeSpan is made: TimeSpan.FromDays(99999999) throws.
        if (!(minutes > 0 && minutes <= MaxRange.TotalMinutes))
        {
            return false;
        }

        window = TimeSpan.FromMinutes(minutes);
        return window > TimeSpan.Zero;
    }

    private static bool TryParseTime(string text, out DateTimeOffset time) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out time)
        && time >= Earliest && time < Latest;

    // Echoed values are cut: a 400 must not be a way to make the proxy write megabytes.
    private static string Shorten(string value) => value.Length <= 64 ? value : value[..64] + "…";
}
