using System.Globalization;
using System.Text;

namespace Karma.Core.Data;

/// <summary>Reads and writes <c>events.csv</c> (RFC 4180 quoting, one record per line; docs/model.md, "Data format").</summary>
public static class EventsCsv
{
    /// <summary>The conventional file name inside a data directory.</summary>
    public const string FileName = "events.csv";

    /// <summary>The documented header.</summary>
    public static readonly string[] Columns = ["user_id", "item_id", "timestamp", "action", "query", "request_id"];

    /// <summary>Longest accepted field, in characters.</summary>
    public const int MaxFieldLength = 4096;

    /// <summary>
    /// Streams the events of a file. Each row is checked (column count, action, timestamp, and, when
    /// <paramref name="knownItems"/> is given, that the item exists); bad rows throw or are skipped.
    /// </summary>
    public static IEnumerable<SearchEvent> Read(string path, BadRowPolicy policy, BadRowReport report,
        IReadOnlySet<string>? knownItems = null)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (!File.Exists(path))
        {
            throw new DataFormatException(path, "file not found");
        }

        return ReadIterator(path, policy, report, knownItems);
    }

    private static IEnumerable<SearchEvent> ReadIterator(string path, BadRowPolicy policy, BadRowReport report,
        IReadOnlySet<string>? knownItems)
    {
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        string? header = reader.ReadLine();
        if (header is null)
        {
            throw new DataFormatException(path, 1, "empty file: expected the header " + string.Join(',', Columns));
        }

        var fields = new List<string>(8);
        if (!TrySplit(header, fields, out string? headerError))
        {
            throw new DataFormatException(path, 1, "bad header: " + headerError);
        }

        var index = new int[Columns.Length];
        for (int c = 0; c < Columns.Length; c++)
        {
            index[c] = fields.FindIndex(f => string.Equals(f.Trim(), Columns[c], StringComparison.Ordinal));
            if (index[c] < 0)
            {
                throw new DataFormatException(path, 1,
                    $"header lacks column '{Columns[c]}' (expected {string.Join(',', Columns)}, found {header})");
            }
        }

        int width = fields.Count;
        long lineNo = 1;
        while (reader.ReadLine() is { } line)
        {
            lineNo++;
            if (line.Length == 0)
            {
                continue;
            }

            SearchEvent? ev = null;
            try
            {
                ev = ParseRow(line, fields, index, width, path, lineNo, knownItems);
            }
            catch (DataFormatException e)
            {
                report.Handle(policy, e);
            }

            if (ev is not null)
            {
                yield return ev;
            }
        }
    }

    private static SearchEvent ParseRow(string line, List<string> fields, int[] index, int width, string path,
        long lineNo, IReadOnlySet<string>? knownItems)
    {
        if (!TrySplit(line, fields, out string? error))
        {
            throw new DataFormatException(path, lineNo, error!);
        }

        if (fields.Count != width)
        {
            throw new DataFormatException(path, lineNo, $"expected {width} columns, found {fields.Count}");
        }

        foreach (string f in fields)
        {
            if (f.Length > MaxFieldLength)
            {
                throw new DataFormatException(path, lineNo, $"a field is longer than {MaxFieldLength} characters");
            }
        }

        string user = fields[index[0]];
        string item = fields[index[1]];
        string ts = fields[index[2]];
        string action = fields[index[3]];
        string query = fields[index[4]];
        string request = fields[index[5]];
        if (user.Length == 0)
        {
            throw new DataFormatException(path, lineNo, "user_id is empty");
        }

        if (item.Length == 0)
        {
            throw new DataFormatException(path, lineNo, "item_id is empty");
        }

        if (!long.TryParse(ts, NumberStyles.Integer, CultureInfo.InvariantCulture, out long timestamp) || timestamp < 0)
        {
            throw new DataFormatException(path, lineNo, $"timestamp '{ts}' is not a non-negative whole number of Unix seconds");
        }

        if (!UserActions.TryParse(action, out var act))
        {
            throw new DataFormatException(path, lineNo,
                $"unknown action '{action}' (expected impression, click, cart or purchase)");
        }

        if (knownItems is not null && !knownItems.Contains(item))
        {
            throw new DataFormatException(path, lineNo, $"item_id '{item}' is not in {ItemsJsonl.FileName}");
        }

        return new SearchEvent(user, item, timestamp, act, query.Length == 0 ? null : query,
            request.Length == 0 ? null : request);
    }

    /// <summary>Splits one CSV record with RFC 4180 quoting. Returns false with a reason for a malformed record.</summary>
    public static bool TrySplit(string line, List<string> fields, out string? error)
    {
        ArgumentNullException.ThrowIfNull(line);
        ArgumentNullException.ThrowIfNull(fields);
        fields.Clear();
        error = null;
        var sb = new StringBuilder();
        int i = 0;
        while (true)
        {
            sb.Clear();
            if (i < line.Length && line[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= line.Length)
                    {
                        error = "unterminated quoted field";
                        return false;
                    }

                    char c = line[i++];
                    if (c == '"')
                    {
                        if (i < line.Length && line[i] == '"')
                        {
                            sb.Append('"');
                            i++;
                        }
                        else
                        {
                            break;
                        }
                    }
                    else
                    {
                        sb.Append(c);
                    }
                }

                if (i < line.Length && line[i] != ',')
                {
                    error = $"unexpected character '{line[i]}' after a closing quote at column {i + 1}";
                    return false;
                }
            }
            else
            {
                int start = i;
                while (i < line.Length && line[i] != ',')
                {
                    if (line[i] == '"')
                    {
                        error = $"stray quote inside an unquoted field at column {i + 1}";
                        return false;
                    }

                    i++;
                }

                sb.Append(line, start, i - start);
            }

            fields.Add(sb.ToString());
            if (i >= line.Length)
            {
                return true;
            }

            i++; // the comma
        }
    }

    /// <summary>Writes the header and the events, quoting fields that need it.</summary>
    public static void Write(string path, IEnumerable<SearchEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false), 1 << 16) { NewLine = "\n" };
        writer.WriteLine(string.Join(',', Columns));
        var sb = new StringBuilder(128);
        foreach (var e in events)
        {
            sb.Clear();
            AppendField(sb, e.UserId).Append(',');
            AppendField(sb, e.ItemId).Append(',');
            sb.Append(e.Timestamp.ToString(CultureInfo.InvariantCulture)).Append(',');
            sb.Append(e.Action.ToFileName()).Append(',');
            AppendField(sb, e.Query ?? string.Empty).Append(',');
            AppendField(sb, e.RequestId ?? string.Empty);
            writer.WriteLine(sb);
        }
    }

    private static StringBuilder AppendField(StringBuilder sb, string value)
    {
        if (value.AsSpan().IndexOfAny(",\"\r\n") < 0)
        {
            return sb.Append(value);
        }

        if (value.AsSpan().IndexOfAny('\r', '\n') >= 0)
        {
            throw new ArgumentException("events.csv fields cannot contain line breaks", nameof(value));
        }

        return sb.Append('"').Append(value.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
    }
}
