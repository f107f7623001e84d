using Microsoft.AspNetCore.Routing.Matching;

namespace Karma.Serving.Wire;

/// <summary>
/// Routing policy that drops every candidate endpoint not served on the listener that accepted the connection
/// (<see cref="ServedOnAttribute"/>), so the gRPC port serves only gRPC, the HTTP port only the probes and metrics, and
/// a separate admin port only admin. Done in routing rather than by <c>RequireHost</c>: the Host header is the
/// client's to choose, the accepting listener is not; and a request to a path its listener does not serve finds no
/// endpoint, as if the path did not exist there (HTTP 404; for gRPC the catch-all's UNIMPLEMENTED where it is served).
/// </summary>
public sealed class ListenerMatcherPolicy : MatcherPolicy, IEndpointSelectorPolicy
{
    /// <inheritdoc />
    // Before the HTTP method policy, so a POST to /metrics on the gRPC port is a 404, not a 405.
    public override int Order => -1000;

    /// <inheritdoc />
    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return endpoints.Any(e => e.Metadata.GetMetadata<ServedOnAttribute>() is not null);
    }

    /// <inheritdoc />
    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        ArgumentNullException.ThrowIfNull(candidates);
        // A connection no listener marked (a test server, a listener added elsewhere) is served nothing restricted.
        var listener = httpContext.Features.Get<KarmaListenerFeature>()?.Listener;
        for (int i = 0; i < candidates.Count; i++)
        {
            var servedOn = candidates[i].Endpoint.Metadata.GetMetadata<ServedOnAttribute>();
            if (servedOn is not null && (listener is null || !servedOn.Allows(listener.Value)))
            {
                candidates.SetValidity(i, false);
            }
        }

        return Task.CompletedTask;
    }
}
