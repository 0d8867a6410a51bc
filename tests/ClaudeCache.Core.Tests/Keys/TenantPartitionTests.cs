using ClaudeCache.Keys;

namespace ClaudeCache.Tests.Keys;

public sealed class TenantPartitionTests
{
    private static readonly TenantOptions PerCredential = new();

    [Fact]
    public void TwoApiKeys_GetDifferentPartitions()
    {
        var a = TenantPartition.Compute("sk-ant-one", null, PerCredential);
        var b = TenantPartition.Compute("sk-ant-two", null, PerCredential);
        Assert.NotEqual(a, b);
        Assert.Matches("^[0-9a-f]{32}$", a);
    }

    [Fact]
    public void SameApiKey_GetsTheSamePartition() =>
        Assert.Equal(
            TenantPartition.Compute("sk-ant-one", null, PerCredential),
            TenantPartition.Compute(" sk-ant-one ", null, PerCredential));

    [Fact]
    public void Partition_NeverContainsTheCredential()
    {
        const string Secret = "sk-ant-abcdef0123456789";
        Assert.DoesNotContain("abcdef0123456789", TenantPartition.Compute(Secret, null, PerCredential), StringComparison.Ordinal);
    }

    [Fact]
    public void BearerToken_IsUsedWhenThereIsNoApiKey_AndMatchesTheSameValueAsApiKey()
    {
        var bearer = TenantPartition.Compute(null, "Bearer tok-123", PerCredential);
        Assert.Equal(TenantPartition.Compute("tok-123", null, PerCredential), bearer);
        Assert.Equal(bearer, TenantPartition.Compute("", "bearer tok-123", PerCredential));
        Assert.NotEqual(bearer, TenantPartition.Compute(null, "Bearer tok-456", PerCredential));
    }

    [Fact]
    public void ApiKey_WinsOverAuthorization() =>
        Assert.Equal(
            TenantPartition.Compute("key-a", null, PerCredential),
            TenantPartition.Compute("key-a", "Bearer tok-b", PerCredential));

    [Theory]
    [InlineData(null, null)]
    [InlineData("", "")]
    [InlineData("  ", "Bearer  ")]
    public void NoCredential_IsAnonymous(string? apiKey, string? authorization) =>
        Assert.Equal(TenantPartition.Anonymous, TenantPartition.Compute(apiKey, authorization, PerCredential));

    [Fact]
    public void SharedMode_GivesEveryCallerTheSamePartition()
    {
        var shared = new TenantOptions { Mode = TenantMode.Shared };
        Assert.Equal("shared:default", TenantPartition.Compute("key-a", null, shared));
        Assert.Equal("shared:default", TenantPartition.Compute("key-b", "Bearer x", shared));
        Assert.Equal("shared:default", TenantPartition.Compute(null, null, shared));
        Assert.Equal("shared:team", TenantPartition.Compute("k", null, new TenantOptions { Mode = TenantMode.Shared, SharedPartitionName = "team" }));
    }

    [Fact]
    public void LongCredential_IsHashed() =>
        Assert.Matches("^[0-9a-f]{32}$", TenantPartition.Compute(new string('k', 5000), null, PerCredential));
}
