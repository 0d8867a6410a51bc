namespace ClaudeCache.Testing.Tests;

public sealed class CounterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Counters_AndRecording_SeeEveryRequest()
    {
        await using var fake = await FakeAnthropicUpstream.StartAsync(Ct);
        using var http = Wire.Client(fake);
        byte[] body = Wire.Body("count me");

        (await http.SendAsync(Wire.Post("v1/messages", body), Ct)).Dispose();
        (await http.SendAsync(Wire.Post("v1/messages/count_tokens", body), Ct)).Dispose();
        (await http.SendAsync(Wire.Get("v1/models"), Ct)).Dispose();

        Assert.Equal(1, fake.MessagesCalls);
        Assert.Equal(1, fake.CountTokensCalls);
        Assert.Equal(3, fake.TotalCalls);
        var first = fake.Received[0];
        Assert.Equal("POST", first.Method);
        Assert.Equal("/v1/messages", first.Path);
        Assert.Equal(body, first.Body);
        Assert.Equal("2023-06-01", first.Headers["Anthropic-Version"]);
        Assert.Equal("sk-ant-test", first.Header("X-API-KEY"));

        fake.ResetCounters();
        Assert.Equal(0, fake.TotalCalls);
        Assert.Empty(fake.Received);
    }

    [Fact]
    public async Task BeforeRespond_HoldsConcurrentRequests_UntilReleased()
    {
        await using var fake = await FakeAnthropicUpstream.StartAsync(Ct);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var allArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int waiting = 0;
        fake.BeforeRespond = async (_, ct) =>
        {
            if (Interlocked.Increment(ref waiting) == 8)
            {
                allArrived.SetResult();
            }

            await gate.Task.WaitAsync(ct);
        };
        using var http = Wire.Client(fake);

        var calls = Enumerable.Range(0, 8).Select(_ => http.SendAsync(Wire.Post("v1/messages", Wire.Body("same")), Ct)).ToList();
        await allArrived.Task.WaitAsync(TimeSpan.FromSeconds(5), Ct);

        Assert.Equal(8, fake.MessagesCalls);
        Assert.All(calls, c => Assert.False(c.IsCompleted));
        gate.SetResult();
        var responses = await Task.WhenAll(calls);
        Assert.All(responses, r => Assert.True(r.IsSuccessStatusCode));
    }

    [Fact]
    public async Task Latency_HoldsTheHeadersBack()
    {
        await using var fake = await FakeAnthropicUpstream.StartAsync(Ct);
        var replyBuilt = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        fake.Responder = r =>
        {
            var reply = DefaultResponder.Reply(r) with { Latency = TimeSpan.FromMinutes(10) };
            replyBuilt.TrySetResult();
            return reply;
        };
        using var http = Wire.Client(fake);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var call = http.SendAsync(Wire.Post("v1/messages", Wire.Body("slow")), HttpCompletionOption.ResponseHeadersRead, cancel.Token);
        await replyBuilt.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        cancel.Cancel();

        // The reply is ready; without the latency its headers would follow at once. With it, only cancelling ends the call.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
    }
}
