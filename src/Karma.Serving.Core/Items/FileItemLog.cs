using System.Globalization;
using System.Text;
using Karma.Core.Data;

namespace Karma.Serving.Core.Items;

/// <summary>
/// The item log as an append-only file of JSON lines, one change per line; a position is the byte offset just past
/// its line. For one replica (or replicas sharing the file on one volume, one of them writing). A line is appended with
/// one write, so a reader sees either none of it or all of it once its line break is there; a trailing line without its
/// line break (a writer stopped mid-write) is left unread. A damaged line is reported (and skipped) by offset.
/// </summary>
public sealed class FileItemLog : IItemLog, IDisposable
{
    /// <summary>Longest line read; a longer one is reported as damaged and skipped.</summary>
    public const int MaxLineBytes = ItemChange.MaxJsonBytes;

    private readonly SemaphoreSlim _append = new(1, 1);

    /// <summary>A log at <paramref name="path"/> (created at the first append; its directory too).</summary>
    public FileItemLog(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public string Description => Path;

    /// <inheritdoc />
    public async Task<string> AppendAsync(ItemChange change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        change = change with { Time = DateTimeOffset.UtcNow };
        byte[] line = Encoding.UTF8.GetBytes(change.ToJson() + "\n");
        await _append.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            await using var file = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, 1, FileOptions.WriteThrough);
            await file.WriteAsync(line, cancellationToken).ConfigureAwait(false);
            await file.FlushAsync(cancellationToken).ConfigureAwait(false);
            return file.Position.ToString(CultureInfo.InvariantCulture);
        }
        finally
        {
            _append.Release();
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ItemLogEntry>> ReadAfterAsync(string? position, int max, CancellationToken cancellationToken)
    {
        long offset = Offset(position);
        var entries = new List<ItemLogEntry>();
        if (!File.Exists(Path))
        {
            return entries;
        }

        await using var file = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, FileOptions.Asynchronous);
        if (offset > file.Length)
        {
            throw new InvalidDataException($"item log {Path}: position {offset} is past its end ({file.Length} bytes); the file was truncated or replaced");
        }

        file.Seek(offset, SeekOrigin.Begin);
        var line = new MemoryStream();
        var buffer = new byte[1 << 16];
        long at = offset;
        bool tooLong = false;
        while (entries.Count < max)
        {
            int read = await file.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break; // what is left in 'line' has no line break yet
            }

            for (int i = 0; i < read && entries.Count < max; i++)
            {
                at++;
                if (buffer[i] != (byte)'\n')
                {
                    if (line.Length < MaxLineBytes)
                    {
                        line.WriteByte(buffer[i]);
                    }
                    else
                    {
                        tooLong = true;
                    }

                    continue;
                }

                string end = at.ToString(CultureInfo.InvariantCulture);
                entries.Add(tooLong
                    ? new ItemLogEntry(end, null, $"{Path} at byte {at - 1}: a line longer than {MaxLineBytes:N0} bytes")
                    : Parse(Encoding.UTF8.GetString(line.GetBuffer(), 0, (int)line.Length), end, at - line.Length - 1));
                line.SetLength(0);
                tooLong = false;
            }
        }

        return entries;
    }

    private ItemLogEntry Parse(string json, string end, long start)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return new ItemLogEntry(end, null, $"{Path} at byte {start}: an empty line");
        }

        try
        {
            return new ItemLogEntry(end, ItemChange.Parse(json, $"{Path} at byte {start}"));
        }
        catch (DataFormatException e)
        {
            return new ItemLogEntry(end, null, e.Message);
        }
    }

    /// <inheritdoc />
    public Task<string?> LastPositionAsync(CancellationToken cancellationToken)
    {
        // Complete lines only: the end of the file when it ends with a line break, else the last line break's end.
        if (!File.Exists(Path))
        {
            return Task.FromResult<string?>(null);
        }

        using var file = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        long end = file.Length;
        var one = new byte[1];
        while (end > 0)
        {
            file.Seek(end - 1, SeekOrigin.Begin);
            if (file.Read(one) == 1 && one[0] == (byte)'\n')
            {
                break;
            }

            end--;
        }

        return Task.FromResult(end == 0 ? null : end.ToString(CultureInfo.InvariantCulture));
    }

    /// <inheritdoc />
    public int Compare(string? a, string? b) => Offset(a).CompareTo(Offset(b));

    /// <inheritdoc />
    public void Dispose() => _append.Dispose();

    private long Offset(string? position)
    {
        if (position is null)
        {
            return 0;
        }

        return long.TryParse(position, NumberStyles.None, CultureInfo.InvariantCulture, out long offset)
            ? offset
            : throw new ArgumentException($"'{position}' is not a position of the file item log {Path} (a byte offset)", nameof(position));
    }
}
