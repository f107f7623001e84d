using System.Globalization;

namespace Karma.Serving.Hosting;

/// <summary>The <c>grpc-timeout</c> request header (gRPC over HTTP/2: 1 to 8 digits and a unit H, M, S, m, u or n).</summary>
public static class GrpcTimeout
{
    /// <summary>The timeout, or null when the header is absent or malformed (grpc-dotnet then applies its own rules).</summary>
    public static TimeSpan? Parse(string? header)
    {
        if (string.IsNullOrEmpty(header) || header.Length is < 2 or > 9
            || !long.TryParse(header.AsSpan(0, header.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out long value))
        {
            return null;
        }

        return header[^1] switch
        {
            'H' => TimeSpan.FromHours(value),
            'M' => TimeSpan.FromMinutes(value),
            'S' => TimeSpan.FromSeconds(value),
            'm' => TimeSpan.FromMilliseconds(value),
            'u' => TimeSpan.FromMicroseconds(value),
            'n' => TimeSpan.FromTicks(value / 100),
            _ => null,
        };
    }
}
