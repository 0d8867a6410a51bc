using System.Text.Json;
using System.Text.Json.Serialization;
using ClaudeCache.Costs;

namespace ClaudeCache.Proxy.Admin;

/// <summary>Source-generated JSON for the admin API (camelCase, no reflection).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = false)]
[JsonSerializable(typeof(SavingsReport))]
[JsonSerializable(typeof(EstimateReport))]
[JsonSerializable(typeof(AlertsResponse))]
[JsonSerializable(typeof(AlertNotification))]
[JsonSerializable(typeof(Caching.PurgeResult))]
internal sealed partial class AdminJsonContext : JsonSerializerContext;
