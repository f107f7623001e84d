using System.Globalization;

namespace Karma.Serving.Tests;

/// <summary>Reads samples out of a Prometheus text exposition (what <c>/metrics</c> serves).</summary>
internal static class PrometheusText
{
    /// <summary>Sums every sample of a metric (all label sets, or those whose labels contain <paramref name="labelContains"/>).</summary>
    public static double Sum(string exposition, string metric, string? labelContains = null)
        => exposition.Split('\n')
            .Where(l => l.StartsWith(metric, StringComparison.Ordinal) && (l.Length == metric.Length || l[metric.Length] is '{' or ' '))
            .Where(l => labelContains is null || l.Contains(labelContains, StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));

    /// <summary>Scrapes <c>/metrics</c> until <paramref name="done"/> holds for it (the exporter caches a scrape briefly) or 10 s pass.</summary>
    public static async Task<string> ScrapeUntilAsync(HttpClient http, Func<string, bool> done)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(done);
        string text = await ScrapeAsync(http);
        for (int i = 0; i < 40 && !done(text); i++)
        {
            await Task.Delay(250);
            text = await ScrapeAsync(http);
        }

        return text;
    }

    /// <summary>One scrape of <c>/metrics</c>.</summary>
    public static async Task<string> ScrapeAsync(HttpClient http)
    {
        ArgumentNullException.ThrowIfNull(http);
        using var response = await http.GetAsync(new Uri("/metrics", UriKind.Relative));
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }
}
