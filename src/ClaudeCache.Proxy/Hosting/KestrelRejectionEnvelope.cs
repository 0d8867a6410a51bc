using System.IO.Pipelines;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace ClaudeCache.Proxy.Hosting;

/// <summary>
/// Puts Anthropic's envelope on the answers Kestrel writes itself, before any middleware runs, to a request whose line
/// or headers it refused (431, 400, 414, 408): a connection middleware gives each HTTP/1.1 connection a
/// <see cref="RejectionEnvelopeWriter"/>, and the first application middleware tells it when a response is the
/// application's, so an application response (a cache hit is a byte-exact stream) is never looked at.
/// </summary>
internal static class KestrelRejectionEnvelope
{
    /// <summary>
    /// Wraps the output of every connection on <paramref name="listen"/>. A listener without HTTP/1.1 is left alone;
    /// on cleartext, where the proxy listens, Kestrel speaks HTTP/1.1 only even when HTTP/2 is enabled.
    /// </summary>
    public static void UseOn(ListenOptions listen, KestrelServerLimits limits)
    {
        if ((listen.Protocols & HttpProtocols.Http1) == 0)
        {
            return;
        }

        listen.Use(next => connection =>
        {
            var writer = new RejectionEnvelopeWriter(connection.Transport.Output, limits);
            connection.Features.Set(writer);
            connection.Transport = new DuplexPipe(connection.Transport.Input, writer);
            return next(connection);
        });
    }

    /// <summary>
    /// The first middleware of the pipeline: from here until the response has been written in full
    /// (<c>OnCompleted</c>, which Kestrel runs after the last byte, including a head it writes after the pipeline
    /// returns), the connection's output belongs to the application.
    /// </summary>
    public static void MarkApplicationResponses(this IApplicationBuilder app) => app.Use(static (context, next) =>
    {
        if (context.Features.Get<RejectionEnvelopeWriter>() is { } writer)
        {
            writer.ApplicationResponseStarted();
            context.Response.OnCompleted(static state =>
            {
                ((RejectionEnvelopeWriter)state).ApplicationResponseCompleted();
                return Task.CompletedTask;
            }, writer);
        }

        return next(context);
    });

    private sealed record DuplexPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}
