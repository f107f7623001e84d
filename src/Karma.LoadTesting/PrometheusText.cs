using System.Globalization;
using System.Text;

namespace Karma.LoadTesting;

/// <summary>One sample of a Prometheus text exposition: <c>name{label="value",…} value</c>.</summary>
/// <param name="Name">Metric name (with any _total, _bucket, … suffix).</param>
/// <param name="Labels">Label values by name.</param>
/// <param name="Value">The sample value (NaN and ±Inf allowed).</param>
public sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>
/// Reads the Prometheus text format (version 0.0.4, which the OpenTelemetry exporter writes): comments and blank
/// lines are skipped, label values unescaped, an optional timestamp ignored, and a line that does not parse is
/// skipped rather than failing the whole scrape.
/// </summary>
public static class PrometheusText
{
    /// <summary>Every sample of <paramref name="text"/> that parses.</summary>
    public static IReadOnlyList<PrometheusSample> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var samples = new List<PrometheusSample>();
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length > 0 && line[0] != '#' && TryParseLine(line, out var sample))
            {
                samples.Add(sample);
            }
        }

        return samples;
    }

    /// <summary>Parses one sample line.</summary>
    public static bool TryParseLine(string line, out PrometheusSample sample)
    {
        ArgumentNullException.ThrowIfNull(line);
        sample = null!;
        int i = 0;
        while (i < line.Length && (char.IsAsciiLetterOrDigit(line[i]) || line[i] is '_' or ':'))
        {
            i++;
        }

        if (i == 0)
        {
            return false;
        }

        string name = line[..i];
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (i < line.Length && line[i] == '{' && !TryParseLabels(line, ref i, labels))
        {
            return false;
        }

        // The value, then an optional timestamp.
        string[] rest = line[i..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (rest.Length is 0 or > 2 || !TryParseValue(rest[0], out double value))
        {
            return false;
        }

        sample = new PrometheusSample(name, labels, value);
        return true;
    }

    private static bool TryParseLabels(string line, ref int i, Dictionary<string, string> labels)
    {
        i++; // '{'
        while (true)
        {
            while (i < line.Length && line[i] is ' ' or ',')
            {
                i++;
            }

            if (i >= line.Length)
            {
                return false;
            }

            if (line[i] == '}')
            {
                i++;
                return true;
            }

            int start = i;
            while (i < line.Length && line[i] != '=')
            {
                i++;
            }

            if (i + 1 >= line.Length || line[i + 1] != '"')
            {
                return false;
            }

            string key = line[start..i].Trim();
            i += 2; // '="'
            var value = new StringBuilder();
            for (; i < line.Length && line[i] != '"'; i++)
            {
                if (line[i] == '\\' && i + 1 < line.Length)
                {
                    i++;
                    value.Append(line[i] == 'n' ? '\n' : line[i]);
                }
                else
                {
                    value.Append(line[i]);
                }
            }

            if (i >= line.Length)
            {
                return false;
            }

            i++; // closing quote
            labels[key] = value.ToString();
        }
    }

    private static bool TryParseValue(string text, out double value)
    {
        switch (text)
        {
            case "+Inf" or "Inf":
                value = double.PositiveInfinity;
                return true;
            case "-Inf":
                value = double.NegativeInfinity;
                return true;
            case "NaN":
                value = double.NaN;
                return true;
            default:
                return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
        }
    }
}
