namespace ClaudeCache.Pipeline;

#pragma warning disable CS1591
public static class PhaseProbe
{
    public static readonly long[] T = new long[16];
    private static readonly List<long[]> s_runs = [];

    public static void Mark(int i) => T[i] = System.Diagnostics.Stopwatch.GetTimestamp();

    public static void End()
    {
        s_runs.Add((long[])T.Clone());
        Array.Clear(T);
        if (s_runs.Count % 200 == 0)
        {
            var names = new[] { "start", "body", "prep", "lookup", "planned", "send", "headers", "outcome", "written" };
            var line = new System.Text.StringBuilder("phases(us):");
            for (var i = 1; i < names.Length; i++)
            {
                var d = s_runs.TakeLast(200).Where(r => r[i] != 0 && r[i - 1] != 0).Select(r => (r[i] - r[i - 1]) * 1e6 / System.Diagnostics.Stopwatch.Frequency).Order().ToArray();
                line.Append(System.Globalization.CultureInfo.InvariantCulture, $" {names[i]}={(d.Length > 0 ? d[d.Length / 2] : -1):F0}");
            }

            var total = s_runs.TakeLast(200).Select(r => (r[8] - r[0]) * 1e6 / System.Diagnostics.Stopwatch.Frequency).Order().ToArray();
            line.Append(System.Globalization.CultureInfo.InvariantCulture, $" total={total[total.Length / 2]:F0}");
            Console.WriteLine(line);
        }
    }
}
