using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Karma.Serving.Tests;

/// <summary>Starts the service in process with settings that must be refused, and returns the refusal.</summary>
internal static class StartRefusal
{
    /// <summary>
    /// Builds the service over <c>models/default</c> on free ports with <paramref name="settings"/> on top, and returns the
    /// <see cref="OptionsValidationException"/> its start throws. Logging is off: the host's "Hosting failed to start"
    /// Error is the expected outcome here, not something for the test log.
    /// </summary>
    public static async Task<OptionsValidationException> ExpectAsync(params (string Key, string Value)[] settings)
    {
        var builder = ServerFixture.HostBuilder([new("Karma:GrpcPort", "0"), new("Karma:HttpPort", "0")],
            settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)));
        builder.Logging.ClearProviders(); // after AddKarmaServing, which adds the console logger
        await using var app = builder.Build();
        return await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
    }
}
