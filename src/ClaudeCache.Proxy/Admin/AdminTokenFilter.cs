using System.Security.Cryptography;
using System.Text;
using ClaudeCache.Proxy.Hosting;
using ClaudeCache.Proxy.Pipeline;
using Microsoft.Extensions.Options;

namespace ClaudeCache.Proxy.Admin;

/// <summary>
/// Requires the admin token on every admin endpoint: <c>Authorization: Bearer T</c> or <c>x-admin-token: T</c>.
/// Compared in constant time over SHA-256 digests, so neither the content nor the length leaks through timing.
/// Without a configured token the admin API is closed (401), never open.
/// </summary>
internal sealed class AdminTokenFilter(IOptions<ProxyOptions> options) : IEndpointFilter
{
    private readonly byte[]? _expected = options.Value.AdminToken is { Length: > 0 } token ? SHA256.HashData(Encoding.UTF8.GetBytes(token)) : null;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var http = context.HttpContext;
        if (!IsAuthorized(http.Request))
        {
            http.Response.Headers.WWWAuthenticate = "Bearer realm=\"claudecache-admin\"";
            await ProxyErrors.WriteAsync(http, StatusCodes.Status401Unauthorized, Anthropic.ErrorTypes.Authentication,
                _expected is null ? "The admin API is disabled: start the proxy with --admin-token." : "A valid admin token is required.",
                shouldRetry: false).ConfigureAwait(false);
            // The response is written: the endpoint must not write one of its own.
            return Results.Empty;
        }

        return await next(context).ConfigureAwait(false);
    }

    private bool IsAuthorized(HttpRequest request)
    {
        if (_expected is null)
        {
            return false;
        }

        var presented = request.Headers["x-admin-token"].ToString();
        var authorization = request.Headers.Authorization.ToString();
        if (presented.Length == 0 && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            presented = authorization["Bearer ".Length..].Trim();
        }

        return presented.Length > 0 && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), _expected);
    }
}
