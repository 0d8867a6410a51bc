using ClaudeCache.Entries;

namespace ClaudeCache.Tests.Entries;

public sealed class StoredResponseHeadersTests
{
    [Fact]
    public void Select_KeepsTheOrganizationId_AndNothingElse()
    {
        KeyValuePair<string, string[]>[] upstream =
        [
            new("x-api-key", ["sk-ant-secret"]),
            new("authorization", ["Bearer sk-ant-secret"]),
            new("set-cookie", ["session=1"]),
            new("request-id", ["req_011"]),
            new("anthropic-ratelimit-requests-remaining", ["49"]),
            new("content-type", ["application/json"]),
            new("Anthropic-Organization-Id", ["5f1c2a9e-0d4b-4e7a-9c3f-2b8e6d1a7c40"]),
        ];

        var kept = StoredResponseHeaders.Select(upstream);

        var header = Assert.Single(kept);
        Assert.Equal("anthropic-organization-id", header.Key);
        Assert.Equal("5f1c2a9e-0d4b-4e7a-9c3f-2b8e6d1a7c40", header.Value);
    }

    [Fact]
    public void Select_WithoutAnAllowedHeader_IsEmpty()
    {
        Assert.Empty(StoredResponseHeaders.Select([new("request-id", ["req_011"])]));
    }
}
