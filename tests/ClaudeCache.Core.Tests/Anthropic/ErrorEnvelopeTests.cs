using System.Text;
using System.Text.Json;
using ClaudeCache.Anthropic;

namespace ClaudeCache.Tests.Anthropic;

public sealed class ErrorEnvelopeTests
{
    [Fact]
    public void Create_WritesAnthropicsEnvelopeCompactly()
    {
        byte[] body = ErrorEnvelope.Create(ErrorTypes.InvalidRequest, "max_tokens: Field required", "req_011CABC");

        Assert.Equal(
            """{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: Field required"},"request_id":"req_011CABC"}""",
            Encoding.UTF8.GetString(body));
    }

    [Fact]
    public void Create_MessageWithQuotesAndNewlines_IsEscaped()
    {
        byte[] body = ErrorEnvelope.Create(ErrorTypes.Api, "bad \"thing\"\nhappened", RequestIds.New());

        using JsonDocument document = JsonDocument.Parse(body);
        Assert.Equal("bad \"thing\"\nhappened", document.RootElement.GetProperty("error").GetProperty("message").GetString());
    }

    [Theory]
    [InlineData(ErrorTypes.InvalidRequest, 400)]
    [InlineData(ErrorTypes.Authentication, 401)]
    [InlineData(ErrorTypes.RequestTooLarge, 413)]
    [InlineData(ErrorTypes.RateLimit, 429)]
    [InlineData(ErrorTypes.Api, 500)]
    [InlineData(ErrorTypes.Timeout, 504)]
    [InlineData(ErrorTypes.Overloaded, 529)]
    [InlineData("something_new", 500)]
    public void StatusCodeOf_MatchesTheApi(string errorType, int status) =>
        Assert.Equal(status, ErrorTypes.StatusCodeOf(errorType));

    [Fact]
    public void RequestIds_New_IsShapedLikeAnthropicsAndUnique()
    {
        var ids = Enumerable.Range(0, 1000).Select(_ => RequestIds.New()).ToList();

        Assert.All(ids, id =>
        {
            Assert.StartsWith("req_011C", id, StringComparison.Ordinal);
            Assert.Equal(28, id.Length);
            Assert.All(id[8..], c => Assert.True(char.IsAsciiLetterOrDigit(c)));
        });
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }
}
