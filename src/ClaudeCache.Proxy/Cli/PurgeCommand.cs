using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ClaudeCache.Caching;
using ClaudeCache.Proxy.Admin;
using ClaudeCache.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace ClaudeCache.Proxy.Cli;

/// <summary>
/// <c>claudecache purge</c>: removes every entry matching the filters (AND), through a running proxy's admin API
/// (<c>--url</c>: every tier and instance) or straight from the database file (<c>--db</c>, the default), and prints
/// how many. Exit code 0 when done, 2 for a problem the user can fix (no filter, a bad one, unreachable proxy, wrong
/// token, missing file), 1 otherwise. See docs/invalidation.md.
/// </summary>
internal static class PurgeCommand
{
    public static Command Create()
    {
        var source = new SourceOptions(
            url: "Purge through a running proxy at this base URL (every tier and every instance).",
            database: "Purge this SQLite file directly, for a stopped proxy (default ./claudecache.db).");
        var tag = new Option<string?>("--tag") { Description = "Entries stored with this x-cache-tags tag." };
        var tenant = new Option<string?>("--tenant") { Description = "Entries of this tenant (the tag 'claudecache stats --dimension tenant' shows)." };
        var ns = new Option<string?>("--namespace") { Description = "Entries of this x-cache-namespace." };
        var model = new Option<string?>("--model") { Description = "Entries of this model, as requests name it." };
        var strategy = new Option<string?>("--strategy") { Description = "aggressive, standard, conservative or real-time." };
        var context = new Option<string?>("--context") { Description = "Entries of this x-cache-context." };
        var olderThan = new Option<string?>("--older-than") { Description = "Entries created longer ago than this: 30m, 24h, 7d." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Count the matching entries; remove nothing." };
        var json = new Option<bool>("--json") { Description = "Print the JSON answer ({\"matched\":…,\"removed\":…,\"dryRun\":…})." };
        var command = new Command("purge", "Remove every cached entry matching all the filters given (at least one), and print how many.")
        {
            source.Url, source.AdminToken, source.Database, tag, tenant, ns, model, strategy, context, olderThan, dryRun, json,
        };
        // Unknown options reach the action so they exit 2 like every other usage error (as for stats).
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!source.TryCheck(parse, "purge"))
            {
                return 2;
            }

            var arguments = source.Read<PurgeArguments>(parse) with
            {
                Tag = parse.GetValue(tag),
                Tenant = parse.GetValue(tenant),
                Namespace = parse.GetValue(ns),
                Model = parse.GetValue(model),
                Strategy = parse.GetValue(strategy),
                Context = parse.GetValue(context),
                OlderThan = parse.GetValue(olderThan),
                DryRun = parse.GetValue(dryRun),
                Json = parse.GetValue(json),
            };
            return await RunAsync(arguments, Console.Out, Console.Error, TimeProvider.System, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>Purges and prints the count; returns the exit code.</summary>
    public static async Task<int> RunAsync(PurgeArguments arguments, TextWriter output, TextWriter error, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(time);
        var (result, failure) = !PurgeQuery.TryCreate(arguments.Tag, arguments.Tenant, arguments.Namespace, arguments.Model, arguments.Strategy,
                arguments.Context, arguments.OlderThan, time.GetUtcNow(), out var filter, out var invalid)
            ? (null, CliFailure.Usage(invalid!))
            : arguments.Url is { } url
                ? await ThroughProxyAsync(url, arguments, cancellationToken).ConfigureAwait(false)
                : await FromDatabaseAsync(arguments.Database, filter, arguments.DryRun, cancellationToken).ConfigureAwait(false);
        if (failure is not null)
        {
            return await failure.ReportAsync(error).ConfigureAwait(false);
        }

        await output.WriteLineAsync(arguments.Json
            ? JsonSerializer.Serialize(result!, AdminJsonContext.Default.PurgeResult)
            : result!.DryRun
                ? string.Create(CultureInfo.InvariantCulture, $"{Entries(result.Matched)} match; nothing removed (dry run).")
                : string.Create(CultureInfo.InvariantCulture, $"Removed {Entries(result.Removed)}.")).ConfigureAwait(false);
        return 0;
    }

    private static string Entries(long count) => string.Create(CultureInfo.InvariantCulture, $"{count} {(count == 1 ? "entry" : "entries")}");

    /// <summary><c>DELETE /admin/cache</c> with the same filters, as the admin API names them.</summary>
    private static async Task<(PurgeResult?, CliFailure?)> ThroughProxyAsync(string url, PurgeArguments arguments, CancellationToken cancellationToken)
    {
        var parameters = new (string Name, string? Value)[]
        {
            ("tag", arguments.Tag), ("tenant", arguments.Tenant), ("namespace", arguments.Namespace), ("model", arguments.Model),
            ("strategy", arguments.Strategy), ("context", arguments.Context), ("olderThan", arguments.OlderThan),
            ("dryRun", arguments.DryRun ? "true" : null),
        };
        var query = "admin/cache?" + string.Join('&', parameters.Where(p => p.Value is not null).Select(p => p.Name + "=" + Uri.EscapeDataString(p.Value!)));
        return await AdminApi.AskAsync(url, HttpMethod.Delete, query, arguments.AdminToken, AdminJsonContext.Default.PurgeResult, "a purge count", cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>The database file's index, through the same tier the proxy uses (no memory tier here).</summary>
    private static async Task<(PurgeResult?, CliFailure?)> FromDatabaseAsync(string database, PurgeFilter filter, bool dryRun, CancellationToken cancellationToken)
    {
        // Checked first: opening a missing file would create an empty database and report 0.
        if (!File.Exists(database))
        {
            return (null, CliFailure.Usage($"no database at '{Path.GetFullPath(database)}' (pass --db PATH, or --url to purge through a running proxy)."));
        }

        try
        {
            var tier = new SqliteSecondTier(new SqliteStoreOptions { Path = database, CleanupInterval = Timeout.InfiniteTimeSpan }, TimeProvider.System);
            await using (tier.ConfigureAwait(false))
            {
                long matched = 0;
                await foreach (var batch in tier.PurgeAsync(filter, dryRun, cancellationToken).ConfigureAwait(false))
                {
                    matched += batch.Count;
                }

                return (new PurgeResult(matched, dryRun ? 0 : matched, dryRun), null);
            }
        }
        catch (Exception ex) when ((ex is SqliteException or IOException) && CliFailure.IsHeldElsewhere(ex))
        {
            return (null, CliFailure.HeldElsewhere(database));
        }
        catch (Exception ex) when (ex is SqliteException or IOException or InvalidOperationException)
        {
            return (null, CliFailure.Other($"cannot purge '{Path.GetFullPath(database)}': {ex.Message}"));
        }
    }
}
