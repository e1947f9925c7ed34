pub mod mock_discord;
