namespace ClaudeCache.Caching;

/// <summary>The one mapping of a <see cref="MissReason"/> to its header value (also its metric tag and stored tombstone).</summary>
public static class MissReasonNames
{
    /// <summary>Every value, in the order of <see cref="MissReason"/>: the metric's bounded tag set.</summary>
    public static IReadOnlyList<string> All { get; } = ["new", "expired", "evicted", "invalidated", "bypass", "refresh"];

    /// <summary>new, expired, evicted, invalidated, bypass or refresh.</summary>
    public static string ToHeader(this MissReason reason) => All[(int)reason];

    /// <summary>Reads a stored name back; false for anything else (a tombstone of a future build).</summary>
    public static bool TryParse(string? name, out MissReason reason)
    {
        for (var i = 0; i < All.Count; i++)
        {
            if (string.Equals(All[i], name, StringComparison.Ordinal))
            {
                reason = (MissReason)i;
                return true;
            }
        }

        reason = MissReason.New;
        return false;
    }
}
