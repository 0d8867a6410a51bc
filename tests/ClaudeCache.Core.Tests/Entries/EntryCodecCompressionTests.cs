using System.Globalization;
using ClaudeCache.Entries;
using ZstdSharp;

namespace ClaudeCache.Tests.Entries;

/// <summary>
/// Measures what compression buys on realistic responses. The ratio is the size of the response's bytes (JSON body
/// plus raw SSE) over the size of the stored payload, header included.
/// </summary>
public sealed class EntryCodecCompressionTests(ITestOutputHelper output)
{
    [Fact]
    public void Sample_IsRealisticInSize()
    {
        Assert.InRange(SampleResponses.MessageJson.Length, 2_800, 3_600);
        Assert.StartsWith("{\"model\":\"claude-sonnet-4-5-20250929\",\"id\":\"msg_", SampleResponses.MessageJson, StringComparison.Ordinal);
        Assert.Contains("event: ping\ndata: {\"type\": \"ping\"}\n\n", SampleResponses.SseStream, StringComparison.Ordinal);
        Assert.EndsWith("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n", SampleResponses.SseStream, StringComparison.Ordinal);
    }

    [Fact]
    public void JsonEntry_Compresses()
    {
        var entry = SampleResponses.JsonEntry();
        var ratio = Ratio(entry, EntryCodec.Encode(entry));

        // Format version 2's dictionary (trained on the project's docs, not on this text) brings prose to the target.
        Assert.True(ratio >= 2.5, $"JSON entry ratio {ratio:F2}");
    }

    [Fact]
    public void StreamEntry_CompressesAtLeast2Point5Times()
    {
        var entry = SampleResponses.StreamEntry();
        var ratio = Ratio(entry, EntryCodec.Encode(entry));

        Assert.True(ratio >= 2.5, $"stream entry ratio {ratio:F2}");
    }

    [Fact]
    public void CompressionLevels_AreReported()
    {
        // Informational: why ZstdCodecs.CompressionLevel is what it is.
        var entry = SampleResponses.StreamEntry();
        var raw = entry.Body.Length + entry.RawSse.Length;
        foreach (var level in new[] { 1, 3, 6, 9, 19 })
        {
            using var compressor = new Compressor(level);
            var body = compressor.Wrap([.. entry.Body.Span, .. entry.RawSse.Span]).Length;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"zstd level {level,2}: {raw} -> {body} bytes ({(double)raw / body:F2}x)"));
        }
    }

    private double Ratio(CachedResponse entry, byte[] payload)
    {
        var raw = entry.Body.Length + entry.RawSse.Length;
        var ratio = (double)raw / payload.Length;
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{(entry.HasStream ? "stream" : "json")} entry: body {entry.Body.Length} B + sse {entry.RawSse.Length} B = {raw} B -> {payload.Length} B stored, ratio {ratio:F2}x"));
        return ratio;
    }
}
