namespace IncusBackup.Tests.Infrastructure;

/// <summary>A file name in the system temp folder (not created), deleted on dispose if it exists.</summary>
public sealed class TempFile : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "incusbackup-test-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            File.Delete(Path);
        }
        catch (IOException)
        {
            // Best effort: a leftover file in /tmp must not fail a test.
        }
    }
}
