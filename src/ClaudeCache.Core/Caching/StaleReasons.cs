using System.Globalization;

namespace ClaudeCache.Caching;

/// <summary>The values of <c>x-cache-stale-reason</c>, a bounded set (they are metric tags too).</summary>
public static class StaleReasons
{
    /// <summary>Served at once while a background call refreshes the entry (<c>stale-while-revalidate</c>).</summary>
    public const string Revalidating = "revalidating";

    /// <summary>The upstream statuses a stale entry may stand in for: overloaded and server errors, never a 4xx.</summary>
    public static IReadOnlyList<int> Statuses { get; } = [500, 502, 503, 504, 529];

    /// <summary>Every value: <c>upstream 500</c> … <c>upstream 529</c>, <c>upstream timeout</c>, <c>upstream unreachable</c>, <c>revalidating</c>.</summary>
    public static IReadOnlyList<string> All { get; } =
        [.. Statuses.Select(s => "upstream " + s.ToString(CultureInfo.InvariantCulture)), "upstream timeout", "upstream unreachable", Revalidating];

    /// <summary>The reason a failed call's head gives for a stale answer, or null when a stale answer may not stand in for it.</summary>
    public static string? OfFailure(FlightHead head)
    {
        ArgumentNullException.ThrowIfNull(head);
        if (head.LocalFailure is { } local)
        {
            return "upstream " + local;
        }

        var index = head.FromCache ? -1 : IndexOf(head.StatusCode);
        return index < 0 ? null : All[index];
    }

    private static int IndexOf(int status)
    {
        for (var i = 0; i < Statuses.Count; i++)
        {
            if (Statuses[i] == status)
            {
                return i;
            }
        }

        return -1;
    }
}
