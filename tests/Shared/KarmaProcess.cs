using System.Diagnostics;

namespace Karma.Tests.Shared;

/// <summary>
/// Runs the real <c>karma</c> command as a child process and captures its output. The command runs from Karma.Cli's own
/// build output (same configuration as the test): a test project's copy of karma.dll can miss assemblies that the test
/// project takes from a shared framework instead (ASP.NET's Microsoft.Extensions.*, which Lucene.NET needs).
/// </summary>
internal static class KarmaProcess
{
    public sealed record Result(int ExitCode, string Output, string Error);

    /// <summary>karma.dll in src/Karma.Cli's output for this test's configuration, target and runtime.</summary>
    public static string Dll
    {
        get
        {
            // AppContext.BaseDirectory is tests/<project>/bin/<configuration>/<framework>/<rid>/: the same tail under src/Karma.Cli.
            var tail = Path.GetRelativePath(Path.Combine(RepositoryPaths.Root, "tests"), AppContext.BaseDirectory)
                .Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries).Skip(1);
            string dll = Path.Combine([RepositoryPaths.Root, "src", "Karma.Cli", .. tail, "karma.dll"]);
            return File.Exists(dll) ? dll : throw new FileNotFoundException($"{dll} not found: build src/Karma.Cli first (./test.sh builds everything)", dll);
        }
    }

    public static Result Run(params string[] args)
    {
        string dll = Dll;
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
