using System.Management.Automation;

namespace IncusBackup.Tests.Infrastructure;

/// <summary>
/// What pwsh -NonInteractive does when anything asks for input. Taken from PowerShell's source:
/// ConsoleHostUserInterface.HandleThrowOnReadAndPrompt() (called first by ReadLine, ReadLineAsSecureString,
/// Prompt, PromptForChoice and PromptForCredential) throws
/// <c>PSTraceSource.NewInvalidOperationException(ConsoleHostUserInterfaceStrings.ReadFailsOnNonInteractiveFlag)</c>,
/// i.e. a plain <see cref="PSInvalidOperationException"/> with the message below (PowerShell 7 dropped the
/// "Windows " prefix of 5.1). It is not a HostException. The test host throws the same type and message.
/// </summary>
public static class NonInteractiveMode
{
    public const string Message = "PowerShell is in NonInteractive mode. Read and Prompt functionality is not available.";

    public static PSInvalidOperationException CreateException() => new(Message);
}
