namespace Karma.Serving.Tests;

/// <summary>Scrapes of <c>/metrics</c> and sums over them, read with the load tester's Prometheus text parser.</summary>
internal static class Scrapes
{
    /// <summary>Sums every sample of a metric whose labels include all of <paramref name="labels"/>.</summary>
    public static double Sum(string exposition, string metric, params (string Label, string Value)[] labels)
        => Karma.LoadTesting.PrometheusText.Parse(exposition)
            .Where(s => s.Name == metric && labels.All(l => s.Labels.TryGetValue(l.Label, out string? v) && v == l.Value))
            .Sum(s => s.Value);

    /// <summary>Scrapes <c>/metrics</c> until <paramref name="done"/> holds for it (the exporter caches a scrape briefly) or 10 s pass.</summary>
    public static async Task<string> ScrapeUntilAsync(HttpClient http, Func<string, bool> done)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(done);
        return await Eventually.Last(() => ScrapeAsync(http), done, TimeSpan.FromSeconds(10), every: TimeSpan.FromMilliseconds(250));
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
