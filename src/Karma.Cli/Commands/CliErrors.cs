using Karma.Core.Data;

namespace Karma.Cli.Commands;

/// <summary>Turns the errors a user can cause (bad files, bad settings) into one readable line and exit code 1.</summary>
internal static class CliErrors
{
    public static int Run(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (DataFormatException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException or DirectoryNotFoundException
                                      or ArgumentException or UnauthorizedAccessException or IOException
                                      or FormatException or Karma.Export.Packaging.ParityException
                                      or Karma.Export.Packaging.QualityGateException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
