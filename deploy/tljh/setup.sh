#!/usr/bin/env bash
# The Littlest JupyterHub (one machine, every learner a Unix user on it) for a Busy Service Lab class.
# Run as an admin on the hub machine, after installing TLJH (https://tljh.jupyter.org/en/latest/install/).
# The same sizes as deploy/z2jh/values.yaml; deploy/README.md shows how many learners a machine holds.
set -euo pipefail
LAB=/srv/lab

# The lab and its optional servers, for every learner (TLJH's shared user environment).
sudo apt-get update
sudo apt-get install -y prometheus prometheus-alertmanager redis-server
sudo git clone --depth 1 https://github.com/busy-service-lab/busy-service-lab "$LAB"
# From the lab's folder: its requirements end with "-e .", the lab's own package.
(cd "$LAB" && sudo -E /opt/tljh/user/bin/pip install -r requirements.txt)

# Per learner: at most 1 GB of memory and 2 cores (TLJH has limits, not guarantees).
sudo tljh-config set limits.memory 1G
sudo tljh-config set limits.cpu 2

# JupyterLab on the first notebook; idle sessions stop after an hour (their files stay).
sudo tljh-config set user_environment.default_app jupyterlab
sudo tljh-config set services.cull.timeout 3600
sudo tljh-config set services.cull.every 300

sudo tljh-config reload

# Each learner's own copy of the notebooks: TLJH makes a learner's home from /etc/skel at first login.
sudo cp -r "$LAB/notebooks" "$LAB/docs" /etc/skel/
