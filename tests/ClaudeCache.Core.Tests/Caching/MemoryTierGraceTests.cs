using ClaudeCache.Caching;

namespace ClaudeCache.Tests.Caching;

/// <summary>The memory tier keeps an expired entry for its grace, at low priority once found expired, and reports entries it drops.</summary>
public sealed class MemoryTierGraceTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void AnEntryIsReturnedUntilItsKeepTime_AndDemotedOnceFoundExpired()
    {
        using var tier = new MemoryTier(1024 * 1024);
        var dropped = new List<(string, MissReason)>();
        tier.Dropped = (key, reason) => dropped.Add((key, reason));
        tier.Set("k", [1, 2, 3], Now.AddHours(1), Now.AddHours(3), Now);

        Assert.False(tier.IsLowPriority("k"));
        Assert.NotNull(tier.Get("k", Now.AddHours(2)));
        tier.Demote("k", Now.AddHours(2));
        Assert.True(tier.IsLowPriority("k"));
        Assert.Null(tier.Get("k", Now.AddHours(3)));
        Assert.Equal([("k", MissReason.Expired)], dropped);
    }

    [Fact]
    public void AFreshEntryIsNotDemoted_AndAnEntryLargerThanTheTier_IsNotAdmitted()
    {
        using var tier = new MemoryTier(300);
        tier.Set("fresh", [1], Now.AddHours(1), Now.AddHours(2), Now);
        tier.Demote("fresh", Now);
        tier.Set("huge", new byte[400], Now.AddHours(1), Now);

        Assert.False(tier.IsLowPriority("fresh"));
        Assert.Null(tier.Get("huge", Now));
    }
}
