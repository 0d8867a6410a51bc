using System.Text.Json;
using ClaudeCache.Anthropic;
using ClaudeCache.Keys;
using ClaudeCache.Pipeline;
using ClaudeCache.Policy;
using ClaudeCache.PromptCaching;

namespace ClaudeCache.Caching;

/// <summary>
/// Steps 2–4 of the pipeline, shared by the proxy and the in-process handler so both make the same keys:
/// validate the body, resolve the policy from the headers, and build the tenant-partitioned key.
/// </summary>
public sealed class RequestPreparer(CachePolicyResolver policies, TenantOptions tenant)
{
    /// <summary>
    /// Returns the prepared request, or null with a message for a 400 <c>invalid_request_error</c> (a malformed
    /// body or an invalid control header): such a request is neither forwarded nor stored.
    /// </summary>
    public PreparedRequest? Prepare(string path, RequestEndpoint endpoint, JsonElement root, in RequestHeaders headers, out string? error) =>
        Prepare(path, endpoint, root, headers, TenantPartition.Compute(headers.ApiKey, headers.Authorization, tenant), out error);

    /// <summary>The facts besides the body that decide a prepared request (step 1's memo compares them).</summary>
    internal MemoFacts Facts(string path, RequestEndpoint endpoint, in RequestHeaders headers) => new(
        path, endpoint, TenantPartition.Compute(headers.ApiKey, headers.Authorization, tenant), headers.AnthropicVersion, headers.AnthropicBeta,
        headers.Strategy, headers.Context, headers.CacheControl, headers.Namespace, headers.PromptBreakpoints);

    internal PreparedRequest? Prepare(string path, RequestEndpoint endpoint, JsonElement root, in RequestHeaders headers, string partition, out string? error)
    {
        // Step 2: validate.
        error = MessagesRequestValidator.Validate(root, endpoint);
        if (error is not null)
        {
            return null;
        }

        // Step 3: policy.
        var policy = policies.Resolve(new PolicyInput(headers.Strategy, headers.Context, headers.CacheControl, headers.Namespace, root));
        if (!policy.IsValid)
        {
            error = policy.Error;
            return null;
        }

        if (!PromptBreakpointModes.IsValid(headers.PromptBreakpoints))
        {
            error = $"{CacheHeaderNames.PromptBreakpoints} must be '{PromptBreakpointModes.Auto}', '{PromptBreakpointModes.Always}' or '{PromptBreakpointModes.Off}'.";
            return null;
        }

        // Step 4: the key, partitioned by tenant.
        var key = CacheKeyBuilder.Build(new CacheKeyInput(partition, policy.Namespace, path, headers.AnthropicVersion, headers.AnthropicBeta, root));
        var model = root.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() ?? "" : "";
        var wantsStream = endpoint == RequestEndpoint.Messages && MessagesRequestValidator.IsStreaming(root);
        // The partition is already a keyed hash; its first 12 hex digits tell tenants apart in reports.
        var tenantTag = partition.Length > 12 ? partition[..12] : partition;
        return new PreparedRequest(key, policy, endpoint, wantsStream, headers.Context ?? "", model, tenantTag);
    }
}
