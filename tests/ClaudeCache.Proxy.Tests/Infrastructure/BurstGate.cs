using ClaudeCache.Testing;

namespace ClaudeCache.Proxy.Tests.Infrastructure;

/// <summary>Holds a burst of concurrent requests at the fake upstream so that they meet its prompt cache together.</summary>
public static class BurstGate
{
    /// <summary>
    /// A burst's requests are answered only once all of them reached the fake — or are held by the proxy waiting for
    /// another's cold prefix — so all of them look the prompt cache up as concurrent requests do, whatever the
    /// scheduling of this machine: the numbers are the same every run.
    /// </summary>
    public static void HoldUntilAllArrive(FakeAnthropicUpstream fake, int count, Func<long> heldByProxy)
    {
        if (count == 1)
        {
            fake.BeforeRespond = null;
            return;
        }

        int arrived = 0;
        fake.BeforeRespond = async (_, ct) =>
        {
            Interlocked.Increment(ref arrived);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            while (Volatile.Read(ref arrived) + heldByProxy() < count)
            {
                await Task.Delay(1, timeout.Token);
            }
        };
    }

}
