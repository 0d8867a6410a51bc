using ClaudeCache.Warming;
using Spectre.Console;

namespace ClaudeCache.Proxy.Cli;

/// <summary>Renders a <see cref="WarmingSummary"/> as the tables of <c>claudecache warm</c>.</summary>
internal static class WarmTables
{
    public static void Render(IAnsiConsole console, WarmingSummary summary, string proxy)
    {
        var table = new Table { Border = TableBorder.Rounded, Title = new TableTitle($"Warming summary: {summary.Profile}") };
        table.AddColumn(new TableColumn("") { NoWrap = true });
        table.AddColumn(new TableColumn("").RightAligned());
        table.HideHeaders();
        Row(table, "Proxy", proxy);
        Row(table, "Sent", StatsFormat.Count(summary.Sent));
        Row(table, "Already cached (HIT)", StatsFormat.Count(summary.AlreadyCached));
        Row(table, "Warmed (MISS)", StatsFormat.Count(summary.Warmed), summary.Warmed > 0 ? Color.Green : null);
        if (summary.PromptWarmed > 0)
        {
            Row(table, "Prompt cache pre-warmed", StatsFormat.Count(summary.PromptWarmed), Color.Green);
        }

        if (summary.NotCached > 0)
        {
            Row(table, "Not cached (BYPASS, no-cache)", StatsFormat.Count(summary.NotCached), Color.Yellow);
        }

        Row(table, "Failed", StatsFormat.Count(summary.Failed), summary.Failed > 0 ? Color.Red : null);
        Row(table, "Concurrency", StatsFormat.Count(summary.Concurrency));
        Row(table, "Elapsed", StatsFormat.Milliseconds(summary.Elapsed.TotalMilliseconds));
        console.Write(table);
        console.WriteLine();

        var failures = summary.Results.Where(r => r.Outcome == WarmingOutcome.Failed).ToList();
        if (failures.Count == 0)
        {
            return;
        }

        var failed = new Table { Border = TableBorder.Rounded, Title = new TableTitle("Failed requests (not retried)") };
        failed.AddColumn("Request");
        failed.AddColumn(new TableColumn("Status").RightAligned());
        failed.AddColumn("Error");
        foreach (var f in failures)
        {
            // Text, not markup: error messages may hold brackets.
            failed.AddRow(new Text(f.Request.Name), new Text(f.StatusCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "–"), new Text(f.Error ?? ""));
        }

        console.Write(failed);
        console.WriteLine();
    }

    private static void Row(Table table, string name, string value, Color? color = null) =>
        table.AddRow(new Text(name), new Text(value, color is { } c ? new Style(c) : Style.Plain));
}
