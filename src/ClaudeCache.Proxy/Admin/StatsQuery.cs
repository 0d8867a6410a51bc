using System.Globalization;
using ClaudeCache.Costs;

namespace ClaudeCache.Proxy.Admin;

/// <summary>
/// The query of <c>/admin/stats</c>: <c>from</c>/<c>to</c> (ISO 8601; default the last <c>window</c>),
/// <c>window</c> (e.g. <c>24h</c>, <c>7d</c>, <c>30m</c>; default 24h), <c>dimension</c> and <c>value</c> to filter.
/// </summary>
internal readonly record struct StatsQuery(DateTimeOffset From, DateTimeOffset To, (string Dimension, string Value)? Filter)
{
    public static bool TryParse(IQueryCollection query, DateTimeOffset now, out StatsQuery parsed, out string? error)
    {
        parsed = default;
        error = null;
        var window = TimeSpan.FromHours(24);
        if (query["window"].ToString() is { Length: > 0 } w && !TryParseWindow(w, out window))
        {
            error = $"window: '{w}' is not a duration like 30m, 24h or 7d.";
            return false;
        }

        var to = now;
        if (query["to"].ToString() is { Length: > 0 } t && !DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out to))
        {
            error = $"to: '{t}' is not an ISO 8601 time.";
            return false;
        }

        var from = to - window;
        if (query["from"].ToString() is { Length: > 0 } f && !DateTimeOffset.TryParse(f, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out from))
        {
            error = $"from: '{f}' is not an ISO 8601 time.";
            return false;
        }

        if (from >= to)
        {
            error = "from must be before to.";
            return false;
        }

        (string, string)? filter = null;
        var dimension = query["dimension"].ToString();
        if (dimension.Length > 0)
        {
            if (!LedgerNames.Dimensions.Contains(dimension))
            {
                error = $"dimension: '{dimension}' is not one of {string.Join(", ", LedgerNames.Dimensions)}.";
                return false;
            }

            filter = (dimension, query["value"].ToString());
        }

        parsed = new StatsQuery(from, to, filter);
        return true;
    }

    public static bool TryParseWindow(string text, out TimeSpan window)
    {
        window = default;
        if (text.Length < 2 || !double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) || amount <= 0)
        {
            return false;
        }

        window = text[^1] switch
        {
            'm' => TimeSpan.FromMinutes(amount),
            'h' => TimeSpan.FromHours(amount),
            'd' => TimeSpan.FromDays(amount),
            _ => TimeSpan.Zero,
        };
        return window > TimeSpan.Zero;
    }
}
