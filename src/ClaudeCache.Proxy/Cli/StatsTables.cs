using ClaudeCache.Costs;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace ClaudeCache.Proxy.Cli;

/// <summary>Renders a <see cref="SavingsReport"/> as the tables of <c>claudecache stats</c>.</summary>
internal static class StatsTables
{
    /// <summary>
    /// A console over <paramref name="output"/>. Plain (no colour, no ANSI, 120 columns) unless it is the real,
    /// unredirected stdout, so redirected output and tests read the same on every machine.
    /// </summary>
    public static IAnsiConsole CreateConsole(TextWriter output)
    {
        var terminal = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        if (!terminal)
        {
            console.Profile.Width = 120;
        }

        return console;
    }

    public static void Render(IAnsiConsole console, SavingsReport report, string source)
    {
        var filter = report.Filter is { } f ? $", filter {f}" : "";
        console.Write(new Text($"ClaudeCache stats: {StatsFormat.Time(report.From)} to {StatsFormat.Time(report.To)}{filter}", new Style(decoration: Decoration.Bold)));
        console.WriteLine();
        console.Write(new Text("Source: " + source));
        console.WriteLine();
        console.WriteLine();

        var t = report.Totals;
        var totals = KeyValue("Totals");
        Row(totals, "Requests", StatsFormat.Count(t.Requests));
        Row(totals, "Hits", StatsFormat.Count(t.Hits));
        Row(totals, "Misses", StatsFormat.Count(t.Misses));
        if (t.Refreshes + t.Bypasses + t.Errors > 0)
        {
            Row(totals, "Refreshes / bypasses / errors", $"{StatsFormat.Count(t.Refreshes)} / {StatsFormat.Count(t.Bypasses)} / {StatsFormat.Count(t.Errors)}");
        }

        Row(totals, "Hit ratio", StatsFormat.Percent(t.HitRatio));
        Row(totals, "Spent", StatsFormat.Money(t.CostUsd));
        Row(totals, "Without cache", StatsFormat.Money(t.CostWithoutCacheUsd));
        Row(totals, "Saved", StatsFormat.Money(t.SavingsUsd), Color.Green);
        Row(totals, "Saved %", StatsFormat.Percent(t.SavingsRatio), Color.Green);
        // Anthropic's prompt cache, through the proxy's own markers: measured per call, negative when writes go unread.
        Row(totals, "Prompt cache: calls marked", StatsFormat.Count(t.PromptCacheMarkedCalls));
        Row(totals, "Prompt cache: saved", StatsFormat.Money(t.PromptCacheSavedUsd), t.PromptCacheSavedUsd < 0 ? Color.Red : Color.Green);
        Row(totals, "Prompt cache: writes", StatsFormat.Money(t.PromptCacheWriteCostUsd));
        if (t.PriceUnknown > 0)
        {
            // Unknown is not free: say so, rather than let a zero read as a saving or a cost.
            Row(totals, "Price unknown", $"{StatsFormat.Count(t.PriceUnknown)} requests (model not in the price table; not counted)", Color.Yellow);
        }

        var p = report.Projection;
        var projection = KeyValue("Projection");
        Row(projection, "Savings / month", StatsFormat.Money(p.MonthlySavingsUsd));
        Row(projection, "Savings / year", StatsFormat.Money(p.AnnualSavingsUsd));
        Row(projection, "Spend / month", StatsFormat.Money(p.MonthlyCostUsd));
        Row(projection, "Infrastructure / month", StatsFormat.Money(p.MonthlyInfrastructureCostUsd));
        Row(projection, "ROI", p.Roi is { } roi ? StatsFormat.Percent(roi) : "– (no infra cost)");

        console.Write(new Columns(totals, projection) { Expand = false });
        IEnumerable<Table> sections =
        [
            Groups("Per strategy", report.ByStrategy),
            Groups("Per context type", report.ByContext),
            Groups("Per model", report.ByModel),
            Latency(report.HitLatency, report.MissLatency, report.Filter),
            .. report.Serving is { } serving ? [Serving(serving)] : Array.Empty<Table>(),
            .. report.Cache is { } cache ? [Cache(cache)] : Array.Empty<Table>(),
        ];
        foreach (var section in sections)
        {
            console.WriteLine();
            console.Write(section);
        }
    }

    /// <summary>Stale answers (with what they saved) and miss reasons over the range; reasons with no requests are left out.</summary>
    private static Table Serving(ServingFigures serving)
    {
        var table = KeyValue("Serving");
        Row(table, "Stale answers", StatsFormat.Count(serving.StaleServed));
        Row(table, "Saved by stale answers", StatsFormat.Money(serving.StaleSavedUsd), Color.Green);
        foreach (var (reason, count) in serving.StaleByReason.Where(r => r.Value > 0))
        {
            Row(table, "Stale: " + reason, StatsFormat.Count(count));
        }

        Row(table, "Background revalidations", StatsFormat.Count(serving.Revalidations));
        foreach (var (reason, count) in serving.MissReasons.Where(r => r.Value > 0))
        {
            Row(table, "Miss: " + reason, StatsFormat.Count(count));
        }

        return table;
    }

    private static Table KeyValue(string title)
    {
        var table = new Table { Border = TableBorder.Rounded, Title = new TableTitle(title) };
        table.AddColumn(new TableColumn("") { NoWrap = true });
        table.AddColumn(new TableColumn("").RightAligned());
        table.HideHeaders();
        return table;
    }

    private static void Row(Table table, string name, string value, Color? color = null) =>
        table.AddRow(new Text(name), new Text(value, color is { } c ? new Style(c) : Style.Plain));

    private static Table Groups(string title, IReadOnlyList<SavingsFigures> groups)
    {
        var table = new Table { Border = TableBorder.Rounded, Title = new TableTitle(title) };
        // A name is never broken (a model id split over two lines cannot be searched for); the headers wrap instead.
        table.AddColumn(new TableColumn("Name") { NoWrap = true });
        foreach (var column in new[] { "Requests", "Hits", "Misses", "Hit ratio", "Spent", "Without cache", "Saved", "Saved %", "Prompt cache saved" })
        {
            table.AddColumn(new TableColumn(column).RightAligned());
        }

        foreach (var g in groups)
        {
            table.AddRow(Cells(g.Name, StatsFormat.Count(g.Requests), StatsFormat.Count(g.Hits), StatsFormat.Count(g.Misses), StatsFormat.Percent(g.HitRatio),
                StatsFormat.Money(g.CostUsd), StatsFormat.Money(g.CostWithoutCacheUsd), StatsFormat.Money(g.SavingsUsd), StatsFormat.Percent(g.SavingsRatio),
                StatsFormat.Money(g.PromptCacheSavedUsd)));
        }

        if (groups.Count == 0)
        {
            table.AddRow(Cells("(no requests)", "", "", "", "", "", "", "", "", ""));
        }

        return table;
    }

    private static Table Latency(LatencySummary hits, LatencySummary misses, string? filter)
    {
        // Under a filter the percentiles are not known (histograms are per minute, not per dimension): say so.
        var title = filter is null ? "Latency (percentiles: histogram upper bounds)" : $"Latency ({filter}; percentiles need an unfiltered report)";
        var table = new Table { Border = TableBorder.Rounded, Title = new TableTitle(title) };
        table.AddColumn(new TableColumn(""));
        foreach (var column in new[] { "Requests", "mean", "p50", "p95", "p99" })
        {
            table.AddColumn(new TableColumn(column).RightAligned());
        }

        foreach (var (name, l) in new[] { ("Hits", hits), ("Misses", misses) })
        {
            table.AddRow(Cells(name, StatsFormat.Count(l.Count), StatsFormat.Milliseconds(l.MeanMs), StatsFormat.Milliseconds(l.P50Ms), StatsFormat.Milliseconds(l.P95Ms), StatsFormat.Milliseconds(l.P99Ms)));
        }

        return table;
    }

    private static Table Cache(CacheFigures cache)
    {
        var table = KeyValue("Cache contents");
        Row(table, "Memory tier", $"{StatsFormat.Count(cache.MemoryEntries)} entries, {StatsFormat.Bytes(cache.MemoryBytes)}");
        if (cache.StoredEntries is { } entries)
        {
            Row(table, "Store", $"{StatsFormat.Count(entries)} entries, {(cache.StoredBytes is { } bytes ? StatsFormat.Bytes(bytes) : "size unknown")}");
        }

        if (cache.CompressionRatio is { } ratio)
        {
            Row(table, "Compression", ratio.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + "×");
        }

        if (cache.DictionaryId is { } dictionary)
        {
            Row(table, "Dictionary", cache.DictionaryTrainedAt is { } trained
                ? $"{dictionary}, trained on this store's entries {trained.UtcDateTime.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture)} UTC"
                : $"{dictionary}, shipped (not trained yet)");
        }

        return table;
    }

    // Text, not markup: a model or context name with brackets must print as it is.
    private static IRenderable[] Cells(params string[] values) => [.. values.Select(v => new Text(v))];
}
