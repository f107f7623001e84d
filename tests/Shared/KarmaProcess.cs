using System.Diagnostics;

namespace Karma.Tests.Shared;

/// <summary>Runs the real <c>karma</c> command as a child process and captures its output (test projects that reference Karma.Cli).</summary>
internal static class KarmaProcess
{
    public sealed record Result(int ExitCode, string Output, string Error);

    public static Result Run(params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "karma.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("karma " + string.Join(' ', args) + " did not finish in 10 minutes");
        }

        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }
}
