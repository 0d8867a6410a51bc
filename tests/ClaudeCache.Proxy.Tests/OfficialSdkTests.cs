using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Anthropic;
using Anthropic.Models.Messages;
using ClaudeCache.Proxy.Tests.Infrastructure;
using ClaudeCache.Testing;

namespace ClaudeCache.Proxy.Tests;

/// <summary>The official clients, pointed at the proxy, get the same answer on a miss and on a hit.</summary>
public sealed class OfficialSdkTests
{
    private static AnthropicClient Sdk(ProxyHost proxy) => new()
    {
        ApiKey = "sk-ant-sdk-csharp-test",
        BaseUrl = proxy.BaseAddress.ToString(),
        MaxRetries = 0,
    };

    private static MessageCreateParams Params(string text) => new()
    {
        Model = "claude-sonnet-4-5",
        MaxTokens = 512,
        System = "You are a real-estate assistant.",
        Messages = [new UserMessageParam(text)],
    };

    [Fact]
    public async Task CSharpSdk_NonStreaming_MissThenHit_SameMessage()
    {
        await using var proxy = await ProxyHost.StartAsync();
        using var client = Sdk(proxy);
        var ct = TestContext.Current.CancellationToken;

        var first = await client.Messages.Create(Params("Analyse 12 Oak Street (C#)"), ct);
        var second = await client.Messages.Create(Params("Analyse 12 Oak Street (C#)"), ct);

        Assert.Equal(1, proxy.Upstream.MessagesCalls);
        Assert.Equal(first.ID, second.ID);
        Assert.True(first.Content[0].TryPickText(out var a));
        Assert.True(second.Content[0].TryPickText(out var b));
        Assert.Equal(a!.Text, b!.Text);
        Assert.Equal(first.Usage.InputTokens, second.Usage.InputTokens);
    }

    [Theory]
    [InlineData("text")]
    [InlineData("tool_use")]
    [InlineData("thinking")]
    public async Task CSharpSdk_Streaming_MissThenHit_SameEvents(string kind)
    {
        await using var proxy = await ProxyHost.StartAsync();
        proxy.Upstream.Responder = request => kind switch
        {
            "tool_use" => FakeReply.ToolUseReply("get_comparables", """{"address":"12 Oak Street","radius_miles":2}"""),
            "thinking" => FakeReply.ThinkingReply("Price per square foot is below the median.", "Fairly priced."),
            _ => DefaultResponder.Reply(request),
        };
        using var client = Sdk(proxy);

        var first = await CollectAsync(client, Params("Stream an analysis (C#)"));
        var second = await CollectAsync(client, Params("Stream an analysis (C#)"));

        Assert.Equal(1, proxy.Upstream.MessagesCalls);
        Assert.Equal(first, second);
        Assert.Contains("message_stop", first, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CSharpSdk_CrossFormat_StreamThenJson_AndJsonThenStream_SameContent()
    {
        await using var proxy = await ProxyHost.StartAsync();
        using var client = Sdk(proxy);
        var ct = TestContext.Current.CancellationToken;

        var streamed = await CollectAsync(client, Params("Stored as a stream (C#)"));
        var asJson = await client.Messages.Create(Params("Stored as a stream (C#)"), ct);
        var json = await client.Messages.Create(Params("Stored as JSON (C#)"), ct);
        var asStream = await CollectAsync(client, Params("Stored as JSON (C#)"));

        Assert.Equal(2, proxy.Upstream.MessagesCalls);
        Assert.True(asJson.Content[0].TryPickText(out var fromStream));
        Assert.Contains("text:" + fromStream!.Text, streamed, StringComparison.Ordinal);
        Assert.True(json.Content[0].TryPickText(out var original));
        Assert.Contains("text:" + original!.Text, asStream, StringComparison.Ordinal);
    }

    /// <summary>Flattens a stream into a comparable text: event kinds, the text, tool input and thinking.</summary>
    private static async Task<string> CollectAsync(AnthropicClient client, MessageCreateParams parameters)
    {
        var events = new StringBuilder();
        var text = new StringBuilder();
        await foreach (var e in client.Messages.CreateStreaming(parameters, TestContext.Current.CancellationToken))
        {
            if (e.TryPickStart(out var start))
            {
                events.Append("start:").Append(start.Message.ID).Append(';');
            }
            else if (e.TryPickContentBlockDelta(out var delta))
            {
                if (delta.Delta.TryPickText(out var t))
                {
                    text.Append(t.Text);
                }
                else if (delta.Delta.TryPickInputJson(out var j))
                {
                    events.Append("json:").Append(j.PartialJson).Append(';');
                }
                else if (delta.Delta.TryPickThinking(out var th))
                {
                    events.Append("thinking:").Append(th.Thinking).Append(';');
                }
            }
            else if (e.TryPickDelta(out var messageDelta))
            {
                events.Append("stop:").Append(messageDelta.Delta.StopReason?.Raw()).Append(';');
            }
            else if (e.TryPickStop(out _))
            {
                events.Append("message_stop;");
            }
        }

        return events.Append("text:").Append(text).ToString();
    }

    [Theory]
    [InlineData("json")]
    [InlineData("stream")]
    [InlineData("cross")]
    public async Task TypeScriptSdk_MissThenHit_SameMessage(string mode)
    {
        await using var proxy = await ProxyHost.StartAsync();

        var output = await RunNodeAsync(proxy.BaseAddress.ToString().TrimEnd('/'), mode);

        using var json = JsonDocument.Parse(output);
        var results = json.RootElement.GetProperty("results").EnumerateArray().ToArray();
        for (var i = 0; i < results.Length; i += 2)
        {
            var miss = results[i].GetProperty("message");
            var hit = results[i + 1].GetProperty("message");
            Assert.Equal(miss.GetProperty("content").GetRawText(), hit.GetProperty("content").GetRawText());
            Assert.Equal(miss.GetProperty("stop_reason").GetString(), hit.GetProperty("stop_reason").GetString());
            Assert.Equal(miss.GetProperty("usage").GetProperty("output_tokens").GetInt32(), hit.GetProperty("usage").GetProperty("output_tokens").GetInt32());
        }

        Assert.Equal(results.Length / 2, proxy.Upstream.MessagesCalls);
    }

    private static async Task<string> RunNodeAsync(string baseUrl, string mode)
    {
        var script = Path.Combine(RepositoryRoot(), "tests", "sdk-js", "sdk-check.mjs");
        var start = new ProcessStartInfo("node", [script, baseUrl, mode])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(script)!,
        };
        start.Environment.Remove("ANTHROPIC_API_KEY");
        start.Environment.Remove("ANTHROPIC_BASE_URL");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"node exited {process.ExitCode}: {await stderr}");
        return await stdout;
    }

    internal static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "ClaudeCache.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("ClaudeCache.slnx not found above " + AppContext.BaseDirectory);
    }
}
