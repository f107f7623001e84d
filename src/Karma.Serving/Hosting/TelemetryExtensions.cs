using Karma.Serving.Core.Telemetry;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Karma.Serving.Hosting;

/// <summary>
/// OpenTelemetry: the service's metrics plus ASP.NET Core and runtime ones on Prometheus <c>/metrics</c>; with the
/// standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> variable set, OTLP export of metrics and traces (a span per RPC with
/// child spans per stage). Trace/span ids go into every log scope.
/// </summary>
public static class TelemetryExtensions
{
    /// <summary>Registers metrics, tracing when a collector is configured, and log correlation.</summary>
    public static WebApplicationBuilder AddKarmaTelemetry(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        builder.Logging.AddSimpleConsole(o => o.IncludeScopes = true);
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("karma-serving"))
            .WithMetrics(m => m.AddMeter(KarmaTelemetry.Name).AddAspNetCoreInstrumentation().AddRuntimeInstrumentation()
                .AddPrometheusExporter());
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            // Spans only when they go somewhere: recording them for no exporter cost 0.1-0.2 ms per call
            // on this machine (docs/performance.md).
            otel.WithTracing(t => t.AddSource(KarmaTelemetry.Name).AddAspNetCoreInstrumentation());
            otel.UseOtlpExporter();
        }

        return builder;
    }
}
