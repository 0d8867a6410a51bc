namespace ClaudeCache.PromptCaching;

/// <summary>
/// The safety valve (issue 11 item 6): per tenant and model, what the proxy's markers saved over the last
/// <c>window</c> marked calls, in input-token units (0.9 × reads − 0.25 × 5-minute writes − 1 × 1-hour writes). While
/// that sum is negative the valve is closed: no new prefix is written on a prediction there, only prefixes that came
/// back (the record's evidence of reuse) — and each of those calls refills the window until it turns positive.
/// </summary>
internal sealed class SavingsValve(int window)
{
    // Below this many calls in a window, nothing is judged.
    private const int MinimumCalls = 8;

    private readonly Dictionary<string, Window> _windows = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public bool IsOpen(string key)
    {
        lock (_lock)
        {
            return !_windows.TryGetValue(key, out var w) || w.Count < MinimumCalls || w.Sum >= 0;
        }
    }

    public void Add(string key, double saved)
    {
        lock (_lock)
        {
            if (!_windows.TryGetValue(key, out var w))
            {
                // Bounded: tenants and models are few; beyond the bound the oldest windows are dropped.
                if (_windows.Count >= 4096)
                {
                    _windows.Remove(_windows.Keys.First());
                }

                w = new Window(window);
                _windows[key] = w;
            }

            w.Add(saved);
        }
    }

    /// <summary>The keys (tenant tag and model) whose valve is closed now.</summary>
    public IReadOnlyList<string> Closed()
    {
        lock (_lock)
        {
            return [.. _windows.Where(p => p.Value.Count >= MinimumCalls && p.Value.Sum < 0).Select(p => p.Key)];
        }
    }

    private sealed class Window(int size)
    {
        private readonly double[] _values = new double[Math.Max(1, size)];
        private int _next;

        public int Count { get; private set; }

        public double Sum { get; private set; }

        public void Add(double value)
        {
            if (Count == _values.Length)
            {
                Sum -= _values[_next];
            }
            else
            {
                Count++;
            }

            _values[_next] = value;
            Sum += value;
            _next = (_next + 1) % _values.Length;
        }
    }
}
