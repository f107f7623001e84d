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
    public static string Dll => OutputOf("Karma.Cli", "karma.dll");

    /// <summary>The service's entry assembly in src/Karma.Serving's output (same configuration, target and runtime).</summary>
    public static string ServiceDll => OutputOf("Karma.Serving", "Karma.Serving.dll");

    private static string OutputOf(string project, string file)
    {
        // AppContext.BaseDirectory is tests/<project>/bin/<configuration>/<framework>/<rid>/: the same tail under src/<project>.
        var tail = Path.GetRelativePath(Path.Combine(RepositoryPaths.Root, "tests"), AppContext.BaseDirectory)
            .Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries).Skip(1);
        string dll = Path.Combine([RepositoryPaths.Root, "src", project, .. tail, file]);
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"{dll} not found: build src/{project} first (./test.sh builds everything)", dll);
    }

    public static Result Run(params string[] args) => RunDll(Dll, new Dictionary<string, string>(), args);

    /// <summary>Runs <paramref name="dll"/> with extra environment variables; kills it after 10 minutes.</summary>
    public static Result RunDll(string dll, IReadOnlyDictionary<string, string> environment, params string[] args)
        => RunProgram("dotnet", environment, [dll, .. args]);

    /// <summary>Runs any program (a script, python3) with extra environment variables; kills it after 10 minutes.</summary>
    public static Result RunProgram(string program, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["NO_COLOR"] = "1";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException(Path.GetFileName(program) + " " + string.Join(' ', args) + " did not finish in 10 minutes");
        }

        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }
}
